/* SPDX-License-Identifier: MIT */
/*
 * no-uring.c - netback without io_uring: when the kernel refuses
 * io_uring_setup() (here a seccomp filter answers ENOSYS, as a kernel
 * built without io_uring does) each tx frame is a writev() of its own and
 * the rx thread waits in poll() and read()s the TAP; packets, a batch of
 * them included, still reach the TAP, and frames the rx ring.
 */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "lib/nbtest.h"

/* io_uring_setup() fails with ENOSYS for this process and its children. */
static int deny_io_uring(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]),
				   .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return -errno;
	return syscall(__NR_io_uring_setup, 1, NULL) < 0 && errno == ENOSYS ?
		       0 : -EPERM;
}

/* A 60-byte frame sent into @v's TAP arrives in the rx request just
 * posted. */
static int receives(struct nbt_vif *v)
{
	struct netif_rx_response rsp;
	uint8_t f[60];

	memset(f, 0x44, sizeof(f));
	memcpy(f, "\xff\xff\xff\xff\xff\xff\x00\x16\x3e\x00\x00\x0b", 12);
	f[12] = 0x88;
	f[13] = 0xb5;
	nbt_post_rx(v, 1);
	if (nbt_send_raw(v, f, sizeof(f)) < 0)
		return 0;
	return nbt_rx_responses(v, &rsp, 1, 5000) == 1 && rsp.status == 60;
}

int main(void)
{
	struct netif_tx_response rsp[8];
	struct nbt_vif a, b;
	long before;
	int i, n;

	ok(deny_io_uring() == 0, "io_uring_setup() answers ENOSYS");
	nbt_start();
	nbt_vif(&a, 0);
	nbt_no_ipv6(&a);
	ok(nbt_good_packet(&a, 1), "a packet reaches the TAP");
	/* Eight in one push: one batch, eight writev()s. */
	before = nbt_tap_frames(&a);
	for (i = 0; i < 8; i++) {
		nbt_frame(&a, (unsigned)i, 0, 60);
		nbt_put(&a, (uint16_t)(10 + i), (unsigned)i, 0, 60, 0);
	}
	nbt_push(&a);
	n = nbt_responses(&a, rsp, 8, 3000);
	for (i = 0; i < 100 && nbt_tap_frames(&a) < before + 8; i++)
		usleep(10000);
	ok(n == 8 && nbt_tap_frames(&a) == before + 8,
	   "a batch of 8: 8 answers (%d), 8 frames on the TAP (%ld)", n,
	   nbt_tap_frames(&a) - before);
	ok(nbt_alive(&a), "the instance lives");
	nbt_stop(&a);

	/* Split event channels: the rx thread, in its poll() loop. */
	nbt_split = 1;
	nbt_vif(&b, 1);
	nbt_no_ipv6(&b);
	nbt_rx_drain(&b);
	ok(receives(&b) && receives(&b),
	   "rx thread without io_uring: two frames reach the rx ring");
	ok(nbt_good_packet(&b, 1), "  and a tx packet the TAP");
	nbt_stop(&b);
	return done_testing();
}

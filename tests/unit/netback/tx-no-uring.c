/* SPDX-License-Identifier: MIT */
/*
 * tx-no-uring.c - netback's TAP writes without io_uring: when the kernel
 * refuses io_uring_setup() (here a seccomp filter answers ENOSYS, as a
 * kernel built without io_uring does) each frame is a writev() of its
 * own, and packets, a batch of them included, still reach the TAP.
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

int main(void)
{
	struct netif_tx_response rsp[8];
	struct nbt_vif a;
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
	return done_testing();
}

/* SPDX-License-Identifier: MIT */
/*
 * grant-copy-buf.c - grant copy with local sides in copy buffers
 * (duet_gnt_copy_buf_alloc()): to and from granted pages in place, a bad
 * ref mid-batch failing alone, a local side only partly in a buffer still
 * copied (staged), and the daemon refusing buffer ranges that are not a
 * connection's own (bad id, past the end, another connection's id).
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "tap.h"
#include "lib/simtest.h"
#include "gnttab/platform-sim-wire.h"

/* One request on raw connection @fd; the reply's rc, its array in @out. */
static int raw_req(int fd, uint32_t op, uint32_t count, uint64_t id,
		   const void *data, size_t len, int xfd, void *out,
		   size_t out_len)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct duet_sim_req r = { .op = op, .count = count, .id = id };
	struct iovec iov[2] = { { &r, sizeof(r) }, { (void *)data, len } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
	static uint8_t rbuf[DUET_SIM_MSG_MAX];
	struct duet_sim_rep rep;
	struct cmsghdr *cm;
	ssize_t n;

	if (xfd >= 0) {
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &xfd, sizeof(int));
	}
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0)
		return -errno;
	n = recv(fd, rbuf, sizeof(rbuf), 0);
	if (n < (ssize_t)sizeof(rep))
		return -EPIPE;
	memcpy(&rep, rbuf, sizeof(rep));
	if (out && (size_t)n >= sizeof(rep) + out_len)
		memcpy(out, rbuf + sizeof(rep), out_len);
	return rep.rc < 0 ? rep.rc : (int)rep.id;
}

static int raw_connect(unsigned domid)
{
	int fd = duet_sim_ctl_connect(simtest_dir, domid);
	struct duet_sim_req r = { .op = DUET_SIM_OP_HELLO,
				  .count = DUET_SIM_WIRE_VERSION };
	struct duet_sim_rep rep;

	if (fd < 0 || send(fd, &r, sizeof(r), 0) < 0 ||
	    recv(fd, &rep, sizeof(rep), 0) < (ssize_t)sizeof(rep))
		return -1;
	return fd;
}

/* A memfd of @pages pages, sealed against resizing when @seal. */
static int memfd(unsigned pages, int seal)
{
	int fd = memfd_create("t", MFD_ALLOW_SEALING);

	if (fd < 0 || ftruncate(fd, (off_t)pages * DUET_PAGE_SIZE) < 0)
		return -1;
	if (seal)
		fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK);
	return fd;
}

/* One COPY segment over raw @fd; its status (or the request's -errno). */
static int raw_copy(int fd, const struct duet_sim_copy_seg *w)
{
	int32_t st = 1;
	int rc = raw_req(fd, DUET_SIM_OP_COPY, 1, 0, w, sizeof(*w), -1, &st,
			 sizeof(st));

	return rc < 0 ? rc : st;
}

int main(void)
{
	struct duet_platform *p1, *p2;
	struct duet_gnt_copy_seg seg[5];
	struct duet_sim_copy_seg w;
	duet_grant_ref_t refs[2];
	unsigned d1, d2, i, bad;
	size_t size = 3 * DUET_PAGE_SIZE - 100;
	uint8_t *a, *b, *prev;
	int fd, fd2, id;

	simtest_pair(0, &d1, &p1, &d2, &p2);
	is_int(duet_gnt_share(p1, d2, 2, 0, refs, (void **)&a), 0, "share 2");
	is_int(duet_gnt_copy_buf_alloc(p2, 0, (void **)&b), -EINVAL,
	       "copy buffer of 0 bytes: -EINVAL");
	is_int(duet_gnt_copy_buf_alloc(p2, (size_t)DUET_SIM_COPY_BUF_PAGES *
					       DUET_PAGE_SIZE + 1,
				       (void **)&b),
	       -EINVAL, "copy buffer over 64 MiB: -EINVAL");
	is_int(duet_gnt_copy_buf_alloc(p2, size, (void **)&b), 0,
	       "copy buffer of 3 pages less 100 bytes");
	ok(((uintptr_t)b & (DUET_PAGE_SIZE - 1)) == 0 && !b[0] &&
		   !b[3 * DUET_PAGE_SIZE - 1],
	   "page aligned, zeroed, rounded up to whole pages");
	for (i = 0; i < 2 * DUET_PAGE_SIZE; i++)
		b[i] = (uint8_t)(i * 7 + 1);
	memset(a + DUET_PAGE_SIZE, 0x5a, DUET_PAGE_SIZE);

	simtest_copy_seg(&seg[0], 1, b, d1, refs[0], 0, DUET_PAGE_SIZE);
	simtest_copy_seg(&seg[1], 1, b + 5000, d1, refs[1], 7, 100);
	simtest_copy_seg(&seg[2], 1, b, d1, refs[1] + 300, 0, 10);   /* unused ref */
	simtest_copy_seg(&seg[3], 0, b + 2 * DUET_PAGE_SIZE, d1, refs[1], 1000, 200);
	simtest_copy_seg(&seg[4], 0, b + DUET_PAGE_SIZE + 50, d1, refs[1] + 300, 0,
		10);                                         /* unused ref */
	is_int(duet_gnt_copy(p2, seg, 5), 0, "batch of 5 submitted");
	is_int(seg[0].status, 0, "buffer -> granted page: ok");
	bad = 0;
	for (i = 0; i < DUET_PAGE_SIZE; i++)
		bad += a[i] != (uint8_t)(i * 7 + 1);
	is_int(bad, 0, "a whole page landed in the granted page");
	is_int(seg[1].status, 0, "buffer at 5000 -> granted page at 7: ok");
	ok(!memcmp(a + DUET_PAGE_SIZE + 7, b + 5000, 100),
	   "its 100 bytes landed");
	is_int(seg[2].status, -EIO, "bad ref mid-batch: -EIO, alone");
	is_int(seg[3].status, 0, "granted page -> buffer: ok");
	ok(!memcmp(b + 2 * DUET_PAGE_SIZE, a + DUET_PAGE_SIZE + 1000, 7) &&
		   b[2 * DUET_PAGE_SIZE + 199] == 0x5a,
	   "its bytes landed in the buffer, after the earlier segments'");
	is_int(seg[4].status, -EIO, "bad ref into the buffer: -EIO");
	is_int(b[DUET_PAGE_SIZE + 50], (uint8_t)((DUET_PAGE_SIZE + 50) * 7 + 1),
	       "and the buffer is left as it was");

	/* A local side that only partly lies in the buffer: staged. */
	prev = mmap(b - DUET_PAGE_SIZE, DUET_PAGE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (prev == b - DUET_PAGE_SIZE) {
		memset(b - 50, 'x', 50);
		memset(b, 'y', 50);
		simtest_copy_seg(&seg[0], 1, b - 50, d1, refs[0], 10, 100);
		simtest_copy_seg(&seg[1], 0, b - 30, d1, refs[1], 7, 60);
		is_int(duet_gnt_copy(p2, seg, 2), 0, "straddling: submitted");
		is_int(seg[0].status, 0, "source half in the buffer: ok");
		ok(a[10] == 'x' && a[59] == 'x' && a[60] == 'y' &&
			   a[109] == 'y',
		   "both halves landed");
		is_int(seg[1].status, 0, "destination half in it: ok");
		ok(!memcmp(b - 30, a + DUET_PAGE_SIZE + 7, 60),
		   "and it got the granted bytes");
		munmap(prev, DUET_PAGE_SIZE);
	} else {
		for (i = 0; i < 5; i++)
			ok(1, "# SKIP the page before the buffer is taken");
	}
	/* A side running from one buffer into the next: staged too. */
	is_int(duet_gnt_copy_buf_alloc(p2, DUET_PAGE_SIZE, (void **)&prev), 0,
	       "a second copy buffer");
	if (prev + DUET_PAGE_SIZE == b || b + 3 * DUET_PAGE_SIZE == prev) {
		uint8_t *end = prev + DUET_PAGE_SIZE == b ? b : prev;

		memset(end - 50, 'u', 50);
		memset(end, 'v', 50);
		simtest_copy_seg(&seg[0], 1, end - 50, d1, refs[0], 0, 100);
		is_int(duet_gnt_copy(p2, seg, 1), 0, "across two: submitted");
		ok(!seg[0].status && a[49] == 'u' && a[50] == 'v' &&
			   a[99] == 'v',
		   "across two buffers: ok, both halves landed");
	} else {
		for (i = 0; i < 2; i++)
			ok(1, "# SKIP the two buffers are not adjacent");
	}
	is_int(duet_gnt_copy_buf_free(p2, prev, DUET_PAGE_SIZE), 0,
	       "free the second");
	is_int(duet_gnt_copy_buf_free(p2, b, size), 0, "free");
	is_int(duet_gnt_copy_buf_free(p2, b, size), -EINVAL,
	       "free again: -EINVAL");

	/* The daemon's own checks, on a raw connection of d2. */
	fd = raw_connect(d2);
	fd2 = raw_connect(d2);
	ok(fd >= 0 && fd2 >= 0, "two raw connections as d2");
	is_int(raw_req(fd, DUET_SIM_OP_COPY_AREA, 0, 0, NULL, 0,
		       memfd(DUET_SIM_COPY_AREA / DUET_PAGE_SIZE, 1), NULL, 0),
	       0, "copy area");
	is_int(raw_req(fd, DUET_SIM_OP_COPY_BUF, 1, 0, NULL, 0, memfd(1, 0),
		       NULL, 0),
	       -EINVAL, "copy buffer: unsealed");
	is_int(raw_req(fd, DUET_SIM_OP_COPY_BUF, 2, 0, NULL, 0, memfd(1, 1),
		       NULL, 0),
	       -EINVAL, "copy buffer: smaller than its count");
	is_int(raw_req(fd, DUET_SIM_OP_COPY_BUF, 0, 0, NULL, 0, memfd(1, 1),
		       NULL, 0),
	       -EINVAL, "copy buffer: count 0");
	id = raw_req(fd, DUET_SIM_OP_COPY_BUF, 1, 0, NULL, 0, memfd(1, 1),
		     NULL, 0);
	ok(id >= 1 && id <= (int)DUET_SIM_COPY_BUFS, "copy buffer: id %d", id);

	memset(&w, 0, sizeof(w));
	w.flags = DUET_GNT_COPY_DST_GREF | DUET_SIM_COPY_SRC_BUF;
	w.dst_ref = refs[0];
	w.dst_domid = (uint16_t)d1;
	w.src_domid = (uint16_t)id;
	w.len = 100;
	is_int(raw_copy(fd, &w), 0, "buffer range -> granted page: ok");
	w.src_ref = DUET_PAGE_SIZE - 99;
	is_int(raw_copy(fd, &w), -EINVAL, "range past the buffer: -EINVAL");
	w.src_ref = 0xffffffffu;
	is_int(raw_copy(fd, &w), -EINVAL, "offset near 2^32: -EINVAL");
	w.src_ref = 0;
	w.src_domid = (uint16_t)(id + 1);
	is_int(raw_copy(fd, &w), -EINVAL, "an id never handed out: -EINVAL");
	w.src_domid = 0;
	is_int(raw_copy(fd, &w), -EINVAL, "id 0: -EINVAL");
	w.src_domid = (uint16_t)id;
	w.flags |= DUET_GNT_COPY_SRC_GREF;
	is_int(raw_copy(fd, &w), -EINVAL, "source both grant and buffer");
	is_int(raw_req(fd2, DUET_SIM_OP_COPY_AREA, 0, 0, NULL, 0,
		       memfd(DUET_SIM_COPY_AREA / DUET_PAGE_SIZE, 1), NULL, 0),
	       0, "second connection: copy area");
	w.flags = DUET_GNT_COPY_DST_GREF | DUET_SIM_COPY_SRC_BUF;
	is_int(raw_copy(fd2, &w), -EINVAL,
	       "the first connection's buffer id on the second: -EINVAL");
	w.flags = DUET_GNT_COPY_SRC_GREF | DUET_SIM_COPY_DST_BUF;
	w.src_ref = refs[1];
	w.src_domid = (uint16_t)d1;
	w.dst_domid = (uint16_t)id;
	w.dst_ref = DUET_PAGE_SIZE - 100;
	is_int(raw_copy(fd, &w), 0, "granted page -> buffer's last bytes");
	is_int(raw_req(fd, DUET_SIM_OP_COPY_BUF_FREE, 0, (uint64_t)id, NULL, 0,
		       -1, NULL, 0),
	       0, "buffer freed");
	is_int(raw_copy(fd, &w), -EINVAL, "a freed buffer's id: -EINVAL");
	is_int(raw_req(fd, DUET_SIM_OP_COPY_BUF_FREE, 0, (uint64_t)id, NULL, 0,
		       -1, NULL, 0),
	       -EINVAL, "freed again: -EINVAL");
	close(fd);
	close(fd2);
	duet_platform_close(p2);
	duet_platform_close(p1);
	return done_testing();
}

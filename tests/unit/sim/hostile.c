/* SPDX-License-Identifier: MIT */
/*
 * hostile.c - malformed control messages from a client: every one gets an
 * error reply (or the connection is closed), descriptors that come with
 * them are not kept, and the daemon keeps serving everybody.
 */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "tap.h"
#include "lib/simtest.h"

static int raw_connect(unsigned domid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/ctl-%u.sock",
		 simtest_dir, domid);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -1;
	return fd;
}

/* Send @len bytes with @nfds descriptors; return the reply rc. */
static int raw_call(int fd, const void *buf, size_t len, const int *fds,
		    unsigned nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 8)];
	static char rbuf[DUET_SIM_MSG_MAX];
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct duet_sim_rep rep;
	struct cmsghdr *cm;
	ssize_t n;

	if (nfds) {
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0)
		return -errno;
	n = recv(fd, rbuf, sizeof(rbuf), 0);
	if (n < (ssize_t)sizeof(rep))
		return n < 0 ? -errno : -EPIPE;
	memcpy(&rep, rbuf, sizeof(rep));
	return rep.rc;
}

static int req_call(int fd, uint32_t op, uint32_t count, uint32_t domid,
		    const void *data, size_t len, int xfd)
{
	static uint8_t buf[DUET_SIM_MSG_MAX * 2];
	struct duet_sim_req r = { .op = op, .count = count, .domid = domid };

	memcpy(buf, &r, sizeof(r));
	if (len)
		memcpy(buf + sizeof(r), data, len);
	return raw_call(fd, buf, sizeof(r) + len, &xfd, xfd >= 0);
}

/* Still serving?  A fresh well-behaved client can share and map. */
static int daemon_alive(unsigned d1, unsigned d2)
{
	struct duet_platform *p1 = simtest_open(d1), *p2 = simtest_open(d2);
	duet_grant_ref_t ref;
	void *a, *m;
	int good;

	good = !duet_gnt_share(p1, (duet_domid_t)d2, 1, 0, &ref, &a) &&
	       !duet_gnt_map(p2, (duet_domid_t)d1, 1, &ref, 0, &m) &&
	       !duet_gnt_unmap(p2, m, 1) && !duet_gnt_unshare(p1, a, 1);
	duet_platform_close(p2);
	duet_platform_close(p1);
	return good;
}

int main(void)
{
	struct duet_sim_copy_seg seg;
	uint32_t refs[4] = { 8, 9, 10, 11 };
	unsigned d1, d2, i;
	int fd, mfd, afd, pfd[2], fds[3], rc, weird = 0;
	uint8_t junk[512];

	simtest_start(0);
	d1 = simtest_domain("evil");
	d2 = simtest_domain("good");
	fd = raw_connect(d1);
	ok(fd >= 0, "raw connection as d1");

	is_int(raw_call(fd, "abc", 3, NULL, 0), -EINVAL, "3-byte message");
	is_int(req_call(fd, 999, 0, 0, NULL, 0, -1), -EOPNOTSUPP,
	       "unknown op");
	is_int(req_call(fd, DUET_SIM_OP_HELLO, 42, 0, NULL, 0, -1), -EPROTO,
	       "hello with another wire version");
	is_int(req_call(fd, DUET_SIM_OP_SHARE, 1, d2, NULL, 0, -1), -EBADF,
	       "share without a memfd");
	if (pipe(pfd) < 0)
		return 1;
	is_int(req_call(fd, DUET_SIM_OP_SHARE, 1, d2, NULL, 0, pfd[0]), -EBADF,
	       "share with a pipe");
	mfd = memfd_create("x", MFD_ALLOW_SEALING);
	if (mfd < 0 || ftruncate(mfd, 4096) < 0)
		return 1;
	is_int(req_call(fd, DUET_SIM_OP_SHARE, 1, d2, NULL, 0, mfd), -EINVAL,
	       "share with an unsealed memfd (could be truncated under the "
	       "mapper)");
	fcntl(mfd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK);
	is_int(req_call(fd, DUET_SIM_OP_SHARE, 2, d2, NULL, 0, mfd), -EINVAL,
	       "share with a memfd smaller than the count");
	is_int(req_call(fd, DUET_SIM_OP_SHARE, 0, d2, NULL, 0, mfd), -EINVAL,
	       "share of 0 pages");
	is_int(req_call(fd, DUET_SIM_OP_SHARE, 100000, d2, NULL, 0, mfd),
	       -EINVAL, "share of 100000 pages");
	fds[0] = fds[1] = fds[2] = mfd;
	{
		struct duet_sim_req r = { .op = DUET_SIM_OP_SHARE, .count = 1,
					  .domid = d2 };

		is_int(raw_call(fd, &r, sizeof(r), fds, 3), -EINVAL,
		       "three descriptors at once");
	}
	is_int(req_call(fd, DUET_SIM_OP_MAP, 4, d2, refs, 8, -1), -EINVAL,
	       "map: count larger than the refs sent");
	is_int(req_call(fd, DUET_SIM_OP_MAP, 0, d2, NULL, 0, -1), -EINVAL,
	       "map: count 0");
	is_int(req_call(fd, DUET_SIM_OP_MAP, 1000000, d2, refs, 16, -1),
	       -EINVAL, "map: huge count");
	is_int(req_call(fd, DUET_SIM_OP_UNMAP, 0, 0, NULL, 0, -1), -EINVAL,
	       "unmap of an unknown id");
	is_int(req_call(fd, DUET_SIM_OP_UNSHARE, 0, 0, NULL, 0, -1), -EINVAL,
	       "unshare of an unknown id");
	memset(&seg, 0, sizeof(seg));
	seg.len = 100;
	seg.flags = DUET_GNT_COPY_DST_GREF;
	is_int(req_call(fd, DUET_SIM_OP_COPY, 1, 0, &seg, sizeof(seg), -1),
	       -EINVAL, "copy before the connection has a copy area");
	is_int(req_call(fd, DUET_SIM_OP_COPY_AREA, 0, 0, NULL, 0, -1), -EBADF,
	       "copy area without a memfd");
	is_int(req_call(fd, DUET_SIM_OP_COPY_AREA, 0, 0, NULL, 0, pfd[0]),
	       -EBADF, "copy area: a pipe");
	afd = memfd_create("area", MFD_ALLOW_SEALING);
	if (afd < 0 || ftruncate(afd, DUET_SIM_COPY_AREA) < 0)
		return 1;
	is_int(req_call(fd, DUET_SIM_OP_COPY_AREA, 0, 0, NULL, 0, afd),
	       -EINVAL, "copy area: unsealed (could shrink under the daemon)");
	is_int(req_call(fd, DUET_SIM_OP_COPY_AREA, 0, 0, NULL, 0, mfd),
	       -EINVAL, "copy area: sealed but one page");
	fcntl(afd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK);
	is_int(req_call(fd, DUET_SIM_OP_COPY_AREA, 0, 0, "x", 1, afd),
	       -EINVAL, "copy area with a payload");
	is_int(req_call(fd, DUET_SIM_OP_COPY_AREA, 0, 0, NULL, 0, afd), 0,
	       "copy area: sealed, the right size");
	is_int(req_call(fd, DUET_SIM_OP_COPY_AREA, 0, 0, NULL, 0, afd),
	       -EEXIST, "a second copy area: -EEXIST");
	{
		struct duet_sim_copy_seg two[2];

		memset(two, 0, sizeof(two));
		two[0] = seg;
		is_int(req_call(fd, DUET_SIM_OP_COPY, 1, 0, two, sizeof(two),
				-1), -EINVAL,
		       "copy: more bytes than the segments the count says");
	}
	is_int(req_call(fd, DUET_SIM_OP_COPY, 2, 0, &seg, sizeof(seg), -1),
	       -EINVAL, "copy: fewer segments than the count");
	{
		static struct duet_sim_copy_seg many[DUET_SIM_COPY_MAX];

		for (i = 0; i < DUET_SIM_COPY_MAX; i++) {
			many[i].len = 60000;
			many[i].flags = DUET_GNT_COPY_SRC_GREF;
		}
		is_int(req_call(fd, DUET_SIM_OP_COPY, DUET_SIM_COPY_MAX, 0,
				many, sizeof(many), -1), -EINVAL,
		       "copy: local bytes beyond half the copy area");
	}
	seg.len = 60000;
	seg.flags = DUET_GNT_COPY_SRC_GREF;
	is_int(req_call(fd, DUET_SIM_OP_COPY, 1, 0, &seg, sizeof(seg), -1), 0,
	       "copy: an oversized segment fails alone, the batch is answered");
	is_int(req_call(fd, DUET_SIM_OP_EVT_NOTIFY, 0, 0, NULL, 0, -1),
	       -EINVAL, "event op on a connection that is no event handle");
	is_int(req_call(fd, DUET_SIM_OP_EVT_OPEN, 0, 0, NULL, 0, pfd[0]),
	       -EINVAL, "event handle opened with a descriptor attached "
	       "(wire v1's delivery pipe; v2 takes none)");
	is_int(req_call(fd, DUET_SIM_OP_DOM_CREATE, 0, 0, "x", 1, -1), -EPERM,
	       "admin op from a domU: -EPERM");
	is_int(req_call(fd, DUET_SIM_OP_XFER, 0, d2, NULL, 0, pfd[1]), -EBADF,
	       "transfer of a pipe");
	is_int(req_call(fd, DUET_SIM_OP_XFER_ACCEPT, 0, 0, NULL, 0, -1),
	       -EINVAL, "accept of a free entry");
	{
		static uint8_t huge[DUET_SIM_MSG_MAX + 100];
		struct duet_sim_req r = { .op = DUET_SIM_OP_HELLO, .count = 1 };

		memcpy(huge, &r, sizeof(r));
		is_int(raw_call(fd, huge, sizeof(huge), NULL, 0), -E2BIG,
		       "message over the limit: -E2BIG");
	}
	srand(3);
	for (i = 0; i < 3000; i++) {
		unsigned k;

		for (k = 0; k < sizeof(junk); k++)
			junk[k] = (uint8_t)rand();
		((uint32_t *)junk)[0] = 1 + rand() % (DUET_SIM_OP_MAX + 1);
		if (((uint32_t *)junk)[0] == DUET_SIM_OP_STOP ||
		    ((uint32_t *)junk)[0] == DUET_SIM_OP_DOM_DESTROY)
			((uint32_t *)junk)[0] = DUET_SIM_OP_HELLO;
		rc = raw_call(fd, junk, 24 + rand() % 400, NULL, 0);
		if (rc == -EPIPE) {
			close(fd);
			fd = raw_connect(d1);
			weird++;
		}
	}
	ok(1, "3000 random messages sent (%d connections closed)", weird);
	ok(daemon_alive(d1, d2), "the daemon still serves well-behaved clients");

	/* A client that never reads its replies only loses its connection. */
	{
		struct duet_sim_req r = { .op = DUET_SIM_OP_HELLO,
					  .count = DUET_SIM_WIRE_VERSION };
		int s = raw_connect(d1), sent = 0;

		fcntl(s, F_SETFL, O_NONBLOCK);
		for (i = 0; i < 100000; i++)
			if (send(s, &r, sizeof(r), MSG_NOSIGNAL) == sizeof(r))
				sent++;
		ok(sent > 0, "flooded %d requests without reading", sent);
		close(s);
	}
	ok(daemon_alive(d1, d2), "the daemon still serves after the flood");
	close(fd);
	return done_testing();
}

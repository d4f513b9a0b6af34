/* SPDX-License-Identifier: MIT */
/*
 * sim/simctl.c - admin requests to the simulator daemon; see simctl.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "sim/simctl.h"

int simctl_connect(const char *dir)
{
	return duet_sim_ctl_connect(dir, 0);
}

int simctl_call(int fd, uint32_t op, uint32_t domid, uint32_t flags,
		const void *data, size_t len, void *out, size_t out_max,
		size_t *out_len)
{
	struct duet_sim_req req = { .op = op, .domid = domid, .flags = flags };
	struct duet_sim_rep rep;
	struct iovec siov[2] = {
		{ .iov_base = &req, .iov_len = sizeof(req) },
		{ .iov_base = (void *)data, .iov_len = len },
	};
	struct iovec riov[2] = {
		{ .iov_base = &rep, .iov_len = sizeof(rep) },
		{ .iov_base = out, .iov_len = out_max },
	};
	struct msghdr mh = { .msg_iov = siov, .msg_iovlen = len ? 2 : 1 };
	ssize_t n;

	if (op == DUET_SIM_OP_HELLO)
		req.count = DUET_SIM_WIRE_VERSION;
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0)
		return -errno;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = riov;
	mh.msg_iovlen = out_max ? 2 : 1;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n < sizeof(rep))
		return -EPIPE;
	if (out_len)
		*out_len = (size_t)n - sizeof(rep);
	return rep.rc;
}

int simctl_running(const char *dir)
{
	char path[4096], buf[32];
	int fd, rc;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/" SIMCTL_LOCK, dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	rc = flock(fd, LOCK_SH | LOCK_NB);
	close(fd);
	if (!rc)
		return -ESRCH;
	if (errno != EWOULDBLOCK)
		return -errno;
	snprintf(path, sizeof(path), "%s/" SIMCTL_PID, dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return atoi(buf) > 0 ? atoi(buf) : 0;
}

int simctl_domain_create(const char *dir, const char *name, int netns)
{
	int fd = simctl_connect(dir), rc;

	if (fd < 0)
		return fd;
	rc = simctl_call(fd, DUET_SIM_OP_DOM_CREATE, 0,
			 netns ? DUET_SIM_DOM_NETNS : 0, name, strlen(name),
			 NULL, 0, NULL);
	close(fd);
	return rc;
}

int simctl_domain_destroy(const char *dir, unsigned domid)
{
	int fd = simctl_connect(dir), rc;

	if (fd < 0)
		return fd;
	rc = simctl_call(fd, DUET_SIM_OP_DOM_DESTROY, domid, 0, NULL, 0, NULL,
			 0, NULL);
	close(fd);
	return rc;
}

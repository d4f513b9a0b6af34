/* SPDX-License-Identifier: MIT */
/*
 * tbsetup.h - the common setup of blkback's tests: a private simulator,
 * a guest domain, xenstore connections for the toolstack, the backend
 * and the guest, backing files, and one call that attaches a disk,
 * starts blkback on it and connects the test frontend.
 */
#ifndef DUET_TESTS_LIB_TBSETUP_H
#define DUET_TESTS_LIB_TBSETUP_H

#include <fcntl.h>
#include <sys/stat.h>

#include "lib/simtest.h"
#include "tap.h"
#include "lib/tfront.h"

extern struct duet_platform *tb_p0, *tb_p1;
extern struct duet_xs *tb_xs0, *tb_xs1;
extern unsigned tb_guest;
extern char tb_tmp[64];

void tb_init(void);

void tb_cleanup(void);

/* A backing file of @bytes filled with a pattern; returns its path. */
const char *tb_file(const char *name, uint64_t bytes);

/* One disk: attached, served by a blkback thread, frontend connected. */
struct tb_disk {
	int devid;
	const char *type; /* the backend's: "vbd", or "qdisk" for a network
			   * target (NBD, RBD) */
	struct tback b;
	struct duet_platform *bp; /* the instance's own, as in the daemon */
	struct duet_xs *bxs;
	struct tfront f;
	int up;
};

/*
 * Attach @target as @vdev (a path: backendtype=phy; an NBD or RBD target:
 * backendtype=qdisk) (extra xl spec parameters in @extra, e.g.
 * "access=ro"), write @val to the backend node @node when not NULL (a
 * backend option the toolstack would write), start blkback, connect with
 * @o.  Returns 0 when the frontend is Connected.
 */
int tb_disk_up_opt(struct tb_disk *d, const char *vdev,
		   const char *target, const char *extra,
		   const struct tf_opts *o, const char *node,
		   const char *val);

int tb_disk_up(struct tb_disk *d, const char *vdev,
	       const char *target, const char *extra,
	       const struct tf_opts *o);

void tb_disk_down(struct tb_disk *d);

/* Compare @len bytes at @off of @path with @buf. */
int tb_file_equals(const char *path, uint64_t off,
		   const void *buf, size_t len);

void tb_fill(void *buf, size_t len, unsigned seed);

#endif /* DUET_TESTS_LIB_TBSETUP_H */

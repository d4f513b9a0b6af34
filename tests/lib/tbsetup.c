/* SPDX-License-Identifier: MIT */
/*
 * tbsetup.c - the test code declared in tbsetup.h, built once into
 * libduet-test.a.
 */
#include "lib/tbsetup.h"

struct duet_platform *tb_p0, *tb_p1;

struct duet_xs *tb_xs0, *tb_xs1;

unsigned tb_guest;

char tb_tmp[64];

void tb_init(void)
{
	simtest_start(0);
	if (!getenv("DUET_LOG_LEVEL"))
		duet_log_set_level(DUET_LOG_ERR);
	tb_guest = simtest_domain("guest");
	tb_p0 = simtest_open(0);
	tb_p1 = simtest_open(tb_guest);
	if (duet_xs_open(tb_p0, &tb_xs0) || duet_xs_open(tb_p1, &tb_xs1)) {
		printf("Bail out! no xenstore\n");
		exit(1);
	}
	snprintf(tb_tmp, sizeof(tb_tmp), "/tmp/duet-blkback.XXXXXX");
	if (!mkdtemp(tb_tmp)) {
		printf("Bail out! no temp dir\n");
		exit(1);
	}
}

void tb_cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tb_tmp);
	if (system(cmd))
		diag("could not remove %s", tb_tmp);
}

const char *tb_file(const char *name, uint64_t bytes)
{
	static char path[8][128];
	static unsigned n;
	char *p = path[n++ % 8];
	static char buf[65536];
	uint64_t off;
	int fd;

	snprintf(p, 128, "%s/%s", tb_tmp, name);
	fd = open(p, O_CREAT | O_TRUNC | O_RDWR, 0644);
	for (off = 0; fd >= 0 && off < bytes; off += sizeof(buf)) {
		unsigned i;

		for (i = 0; i < sizeof(buf); i += 8)
			*(uint64_t *)(buf + i) = (off + i) * 0x9e3779b97f4a7c15ull;
		if (pwrite(fd, buf, sizeof(buf), (off_t)off) != sizeof(buf))
			break;
	}
	if (fd >= 0)
		close(fd);
	return p;
}

int tb_disk_up_opt(struct tb_disk *d, const char *vdev,
		   const char *target, const char *extra,
		   const struct tf_opts *o, const char *node,
		   const char *val)
{
	char spec[4352], path[256];
	int rc;

	memset(d, 0, sizeof(*d));
	d->type = duet_xl_disk_target_kind(target, NULL, 0) ==
				  DUET_XL_TARGET_PATH ? "vbd" : "qdisk";
	snprintf(spec, sizeof(spec), "vdev=%s,%s%sbackendtype=%s,target=%s",
		 vdev, extra ? extra : "", extra ? "," : "",
		 strcmp(d->type, "vbd") ? "qdisk" : "phy", target);
	rc = tf_attach_disk(tb_xs0, tb_guest, spec, &d->devid);
	if (rc) {
		diag("attach %s: %d", spec, rc);
		return rc;
	}
	if (node) {
		snprintf(path, sizeof(path),
			 "/local/domain/0/backend/%s/%u/%d/%s", d->type,
			 tb_guest, d->devid, node);
		rc = duet_xs_write(tb_xs0, DUET_XS_NO_TX, path, val);
		if (rc)
			return rc;
	}
	d->bp = simtest_open(0);
	rc = duet_xs_open(d->bp, &d->bxs);
	if (rc)
		return rc;
	rc = tback_start(&d->b, d->bp, d->bxs, d->type, 0, tb_guest,
			 (unsigned)d->devid);
	if (rc)
		return rc;
	rc = tf_open(&d->f, tb_p1, tb_xs1, tb_guest, d->devid, o);
	d->up = !rc;
	if (rc)
		diag("connect: %d; frontend state %d, backend rc %d", rc,
		     d->f.xb ? duet_xenbus_state(d->f.xb) : -1, d->b.rc);
	return rc;
}

int tb_disk_up(struct tb_disk *d, const char *vdev,
	       const char *target, const char *extra,
	       const struct tf_opts *o)
{
	return tb_disk_up_opt(d, vdev, target, extra, o, NULL, NULL);
}

void tb_disk_down(struct tb_disk *d)
{
	tf_close(&d->f);
	tback_stop(&d->b);
	duet_xs_close(d->bxs);
	duet_platform_close(d->bp);
	duet_xl_detach(tb_xs0, tb_guest, "vbd", d->devid, 1);
}

int tb_file_equals(const char *path, uint64_t off,
		   const void *buf, size_t len)
{
	char *got = malloc(len);
	int fd = open(path, O_RDONLY), same;

	same = got && fd >= 0 &&
	       pread(fd, got, len, (off_t)off) == (ssize_t)len &&
	       !memcmp(got, buf, len);
	if (fd >= 0)
		close(fd);
	free(got);
	return same;
}

void tb_fill(void *buf, size_t len, unsigned seed)
{
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i + 4 <= len; i += 4) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		memcpy((char *)buf + i, &x, 4);
	}
}

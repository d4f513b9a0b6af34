/* SPDX-License-Identifier: MIT */
/*
 * ops.c - blkback's operations besides read and write, and its disk
 * properties: flush and barrier (with and without data) answer OKAY and
 * leave the data in the file; discard punches a hole (the range reads
 * back as zeros and the file has a hole there), refuses a range past the
 * end, and is not offered with discard-enable=0; a read-only disk
 * advertises VDISK_READONLY, reads, and refuses writes, barriers with
 * data and discards with BLKIF_RSP_ERROR; an I/O error of the backing
 * store (a full file system) is BLKIF_RSP_ERROR for that request only;
 * a block device with 4096-byte sectors advertises sector-size 4096 and
 * refuses a misaligned request.
 */
#define _FILE_OFFSET_BITS 64
#include <sys/mount.h>

#include "lib/tbsetup.h"

#define DISK (4u << 20)

static char buf[1 << 16], back[1 << 16];

static int write_with_op(struct tb_disk *d, uint8_t op, uint64_t sector,
			 unsigned nsect)
{
	struct tf_queue *q = d->f.q[0];
	struct blkif_request r;
	struct blkif_response rsp;
	unsigned i, pgs[BLKIF_MAX_SEGMENTS_PER_REQUEST];
	int pg, rc;

	memset(&r, 0, sizeof(r));
	r.operation = op;
	r.nr_segments = (uint8_t)((nsect + 7) / 8);
	r.id = 9;
	r.sector_number = sector;
	for (i = 0; i < r.nr_segments; i++) {
		pg = tf_page_get(q);
		memcpy(tf_page(q, (unsigned)pg), buf + i * 4096, 4096);
		r.seg[i].gref = q->pool_refs[pg];
		r.seg[i].last_sect = 7;
		pgs[i] = (unsigned)pg;
	}
	if (tf_put_raw(&d->f, 0, &r) || tf_get_rsp(&d->f, 0, &rsp, 5000) != 1)
		rc = -1000;
	else
		rc = rsp.id == 9 && rsp.operation == op ? rsp.status : -1001;
	for (i = 0; i < r.nr_segments; i++)
		tf_page_put(q, pgs[i]);
	return rc;
}

static void flush_and_barrier(void)
{
	struct tf_opts o = { .nqueues = 1 };
	struct tb_disk d;
	const char *path = tb_file("flush", DISK);

	if (!ok(!tb_disk_up(&d, "xvda", path, NULL, &o), "flush disk up"))
		return;
	ok(d.f.flush && d.f.barrier, "feature-flush-cache and "
	   "feature-barrier are offered");
	is_int(tf_simple(&d.f, 0, BLKIF_OP_FLUSH_DISKCACHE, 0, 0, 0),
	       BLKIF_RSP_OKAY, "a bare flush is OKAY");
	is_int(tf_simple(&d.f, 0, BLKIF_OP_WRITE_BARRIER, 0, 0, 0),
	       BLKIF_RSP_OKAY, "a bare barrier is OKAY");
	tb_fill(buf, 16384, 1);
	is_int(write_with_op(&d, BLKIF_OP_FLUSH_DISKCACHE, 64, 32),
	       BLKIF_RSP_OKAY, "a flush with data is OKAY");
	ok(tb_file_equals(path, 64 * 512, buf, 16384),
	   "  and its data is in the file");
	tb_fill(buf, 16384, 2);
	is_int(write_with_op(&d, BLKIF_OP_WRITE_BARRIER, 128, 32),
	       BLKIF_RSP_OKAY, "a barrier with data is OKAY");
	ok(tb_file_equals(path, 128 * 512, buf, 16384),
	   "  and its data is in the file");
	tb_disk_down(&d);
}

static void discard(void)
{
	struct tf_opts o = { .nqueues = 1 };
	struct tb_disk d;
	const char *path = tb_file("discard", DISK);
	off_t hole;
	int fd;

	if (!ok(!tb_disk_up(&d, "xvdb", path, NULL, &o), "discard disk up"))
		return;
	ok(d.f.discard, "feature-discard is offered");
	ok(d.f.discard_gran >= 512, "discard-granularity %llu",
	   (unsigned long long)d.f.discard_gran);
	is_int(tf_simple(&d.f, 0, BLKIF_OP_DISCARD, 256, 128, 0),
	       BLKIF_RSP_OKAY, "discard of 64 KiB at 128 KiB is OKAY");
	memset(back, 0, sizeof(back));
	ok(tb_file_equals(path, 256 * 512, back, 65536),
	   "  the range reads back as zeros from the file");
	is_int(tf_rw(&d.f, 0, 0, 256, buf, 16), BLKIF_RSP_OKAY,
	       "  and through blkback");
	ok(!memcmp(buf, back, 8192), "  as zeros");
	fd = open(path, O_RDONLY);
	hole = lseek(fd, 256 * 512, SEEK_HOLE);
	close(fd);
	is_int(hole, 256 * 512, "  the file has a hole there");
	memset(back, 0, 512);
	ok(!tb_file_equals(path, 255 * 512, back, 512) &&
	   !tb_file_equals(path, 384 * 512, back, 512),
	   "  the sectors around it are untouched");
	is_int(tf_simple(&d.f, 0, BLKIF_OP_DISCARD, DISK / 512 - 8, 16, 0),
	       BLKIF_RSP_ERROR, "a discard past the end is ERROR");
	is_int(tf_simple(&d.f, 0, BLKIF_OP_DISCARD, 0, 0, 0),
	       BLKIF_RSP_OKAY, "a discard of nothing is OKAY");
	tb_disk_down(&d);

	path = tb_file("nodiscard", DISK);
	if (!ok(!tb_disk_up(&d, "xvdc", path, "no-discard", &o),
		"disk with no-discard up"))
		return;
	ok(!d.f.discard, "feature-discard is not offered");
	is_int(tf_simple(&d.f, 0, BLKIF_OP_DISCARD, 0, 8, 0),
	       BLKIF_RSP_EOPNOTSUPP, "a discard is EOPNOTSUPP");
	tb_disk_down(&d);
}

static void read_only(void)
{
	struct tf_opts o = { .nqueues = 1 };
	struct tb_disk d;
	const char *path = tb_file("ro", DISK);
	char orig[8192];
	int fd;

	fd = open(path, O_RDONLY);
	if (pread(fd, orig, sizeof(orig), 512 * 40) != sizeof(orig))
		memset(orig, 0, sizeof(orig));
	close(fd);
	if (!ok(!tb_disk_up(&d, "xvdd", path, "access=ro", &o),
		"read-only disk up"))
		return;
	ok(d.f.info & VDISK_READONLY, "info has VDISK_READONLY");
	ok(!d.f.discard, "feature-discard is not offered");
	is_int(tf_rw(&d.f, 0, 0, 40, buf, 16), BLKIF_RSP_OKAY, "a read is "
	       "OKAY");
	ok(!memcmp(buf, orig, sizeof(orig)), "  with the file's data");
	tb_fill(buf, 8192, 3);
	is_int(tf_rw(&d.f, 0, 1, 40, buf, 16), BLKIF_RSP_ERROR,
	       "a write is ERROR");
	is_int(write_with_op(&d, BLKIF_OP_WRITE_BARRIER, 40, 16),
	       BLKIF_RSP_ERROR, "a barrier with data is ERROR");
	is_int(write_with_op(&d, BLKIF_OP_FLUSH_DISKCACHE, 40, 16),
	       BLKIF_RSP_ERROR, "a flush with data is ERROR");
	is_int(tf_simple(&d.f, 0, BLKIF_OP_DISCARD, 0, 8, 0),
	       BLKIF_RSP_EOPNOTSUPP, "a discard is EOPNOTSUPP");
	ok(tb_file_equals(path, 512 * 40, orig, sizeof(orig)),
	   "the file is unchanged");
	is_int(tf_rw(&d.f, 0, 0, 40, buf, 16), BLKIF_RSP_OKAY,
	       "reads still work");
	tb_disk_down(&d);
}

/* A file system that fills up: writes into holes fail with ENOSPC. */
static void io_error(void)
{
	struct tf_opts o = { .nqueues = 1, .indirect = 1 };
	char mnt[128], path[160];
	struct tb_disk d;
	int fd;

	snprintf(mnt, sizeof(mnt), "%s/small", tb_tmp);
	mkdir(mnt, 0755);
	if (mount("tmpfs", mnt, "tmpfs", 0, "size=256k")) {
		ok(1, "# SKIP cannot mount a small tmpfs (%s)",
		   strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/sparse", mnt);
	fd = open(path, O_CREAT | O_RDWR, 0644);
	if (fd < 0 || ftruncate(fd, DISK)) {
		ok(0, "sparse file");
		goto out;
	}
	close(fd);
	if (!ok(!tb_disk_up(&d, "xvde", path, NULL, &o), "disk on a 256 KiB "
		"file system up"))
		goto out;
	tb_fill(buf, 65536, 4);
	is_int(tf_rw(&d.f, 0, 1, 0, buf, 128), BLKIF_RSP_OKAY,
	       "a 64 KiB write that fits is OKAY");
	{
		int rc = 0, i;

		for (i = 1; i < 8 && rc == BLKIF_RSP_OKAY; i++)
			rc = tf_rw(&d.f, 0, 1, (uint64_t)i * 128, buf, 128);
		rc = tf_rw(&d.f, 0, 1, 4096, buf, 128);
		is_int(rc, BLKIF_RSP_ERROR, "a write into a full file system "
		       "is ERROR");
	}
	is_int(tf_rw(&d.f, 0, 0, 0, back, 128), BLKIF_RSP_OKAY,
	       "reads still work");
	ok(!memcmp(back, buf, 65536), "  with the data written before");
	ok(!tf_backend_closed(&d.f), "the device stays connected");
	tb_disk_down(&d);
out:
	umount2(mnt, MNT_DETACH);
}

/* A loop device with 4096-byte logical sectors. */
static void big_sectors(void)
{
	struct tf_opts o = { .nqueues = 1 };
	char cmd[512], dev[64] = "";
	const char *path = tb_file("4k", DISK);
	struct tb_disk d;
	FILE *f;

	snprintf(cmd, sizeof(cmd),
		 "losetup --find --show --sector-size 4096 '%s' 2>/dev/null",
		 path);
	f = popen(cmd, "r");
	if (!f || !fgets(dev, sizeof(dev), f) || dev[0] != '/') {
		if (f)
			pclose(f);
		ok(1, "# SKIP no loop device with 4096-byte sectors");
		return;
	}
	pclose(f);
	dev[strcspn(dev, "\n")] = '\0';
	if (ok(!tb_disk_up(&d, "xvdf", dev, NULL, &o), "4096-sector disk up "
	       "(%s)", dev)) {
		is_int(d.f.sector_size, 4096, "sector-size 4096");
		is_int(d.f.phys_sector_size, 4096, "physical-sector-size 4096");
		is_int(d.f.sectors, DISK / 512, "sectors in 512-byte units");
		tb_fill(buf, 16384, 5);
		is_int(tf_rw(&d.f, 0, 1, 64, buf, 32), BLKIF_RSP_OKAY,
		       "an aligned 16 KiB write is OKAY");
		is_int(tf_rw(&d.f, 0, 0, 64, back, 32), BLKIF_RSP_OKAY,
		       "an aligned read is OKAY");
		ok(!memcmp(buf, back, 16384), "  and returns the data");
		is_int(tf_rw(&d.f, 0, 1, 65, buf, 8), BLKIF_RSP_ERROR,
		       "a write at an unaligned sector is ERROR");
		is_int(tf_rw(&d.f, 0, 0, 64, back, 4), BLKIF_RSP_ERROR,
		       "a read of half a sector is ERROR");
		tb_disk_down(&d);
	}
	snprintf(cmd, sizeof(cmd), "losetup -d %s", dev);
	if (system(cmd))
		diag("could not detach %s", dev);
	ok(tb_file_equals(path, 64 * 512, buf, 16384),
	   "the data is in the backing file");
}

int main(void)
{
	tb_init();
	flush_and_barrier();
	discard();
	read_only();
	io_error();
	big_sectors();
	tb_cleanup();
	return done_testing();
}

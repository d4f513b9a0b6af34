/* SPDX-License-Identifier: MIT */
/*
 * dma.c - blkback through the emulated block controller behind each DMA
 * backend of the registry (backend node "dma"): data written at every
 * size from one sector to 1 MiB (indirect requests of up to 256
 * segments, split into controller commands of 11) lands in the backing
 * file and reads back bit-identical, on 4 queues, with and without
 * persistent grants; 16 reads in flight per queue; flush and barrier
 * work; discard is not offered; a read into a read-only grant and a
 * write from an unused ref fail with BLKIF_RSP_ERROR and leave the page
 * and the file untouched while the disk goes on working; an unknown
 * backend name leaves the device unserved.  Last, a backend registered
 * by the test (duet_dma_backend_register(), as an IOMMU model would be)
 * that refuses every device write: blkback serves over it unchanged,
 * writes work, every read is a device fault answered BLKIF_RSP_ERROR
 * and logged at most 5 times in 5 s, and the disk goes on working.
 */
#include "lib/tbsetup.h"

#include "duet/dma.h"
#include "duet/log.h"

#define DISK (8u << 20)

static char wbuf[1 << 20], rbuf[1 << 20];

/* A one-segment request on queue 0 into page @ref; its status. */
static int one_seg(struct tb_disk *d, uint8_t op, uint32_t ref,
		   uint64_t sector)
{
	struct blkif_request req;
	struct blkif_response rsp;

	memset(&req, 0, sizeof(req));
	req.operation = op;
	req.nr_segments = 1;
	req.id = 777;
	req.sector_number = sector;
	req.seg[0].gref = ref;
	req.seg[0].first_sect = 0;
	req.seg[0].last_sect = 7;
	if (tf_put_raw(&d->f, 0, &req) || tf_get_rsp(&d->f, 0, &rsp, 5000) != 1)
		return -1000;
	return rsp.id == 777 ? rsp.status : -1001;
}

static void hostile(struct tb_disk *d, const char *path, const char *be)
{
	duet_grant_ref_t ref;
	unsigned char *page;
	unsigned i;

	tb_fill(wbuf, 4096, 99);
	if (!ok(!duet_gnt_share(tb_p1, 0, 1, DUET_GNT_READONLY, &ref,
				(void **)&page), "%s: a read-only grant", be))
		return;
	memset(page, 0xee, 4096);
	is_int(one_seg(d, BLKIF_OP_READ, ref, 64), BLKIF_RSP_ERROR,
	       "%s: a read into it: ERROR", be);
	for (i = 0; i < 4096 && page[i] == 0xee; i++)
		;
	is_int(i, 4096, "%s:   the page is untouched", be);
	memcpy(wbuf, page, 4096);
	is_int(one_seg(d, BLKIF_OP_WRITE, ref, 64), BLKIF_RSP_OKAY,
	       "%s: a write from it (read-only is enough): OKAY", be);
	ok(tb_file_equals(path, 64 * 512, wbuf, 4096), "%s:   in the file",
	   be);
	is_int(one_seg(d, BLKIF_OP_WRITE, 60000, 128), BLKIF_RSP_ERROR,
	       "%s: a write from an unused ref: ERROR", be);
	is_int(tf_rw(&d->f, 0, 1, 128, wbuf, 8), BLKIF_RSP_OKAY,
	       "%s: the disk still works", be);
	duet_gnt_unshare(tb_p1, page, 1);
}

static void run(unsigned idx, const char *be, int persistent)
{
	struct tf_opts o = { .order = 2, .nqueues = 4,
			     .persistent = persistent, .indirect = 1 };
	static const unsigned sizes[] = { 1, 7, 8, 24, 88, 89, 512, 2048 };
	char name[32], vdev[16], what[64];
	struct blkif_response rsp;
	struct tb_disk d;
	const char *path;
	unsigned i, q, k, bad = 0;
	int rc, ids[16];

	snprintf(what, sizeof(what), "%s persistent=%d", be, persistent);
	snprintf(name, sizeof(name), "dma%u", idx);
	snprintf(vdev, sizeof(vdev), "xvd%c", 'a' + idx % 26);
	path = tb_file(name, DISK);
	if (!ok(!tb_disk_up_opt(&d, vdev, path, NULL, &o, "dma", be),
		"%s: connected", what))
		return;
	is_int(d.f.discard, 0, "%s: no feature-discard (no such command)",
	       what);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t sector = (uint64_t)i * 1500 + 3;
		unsigned ns = sizes[i];

		q = i % 4;
		tb_fill(wbuf, ns * 512, idx * 100 + i);
		rc = tf_rw(&d.f, q, 1, sector, wbuf, ns);
		if (rc != BLKIF_RSP_OKAY ||
		    !tb_file_equals(path, sector * 512, wbuf, ns * 512)) {
			diag("write of %u sectors: %d", ns, rc);
			bad++;
		}
		memset(rbuf, 0, ns * 512);
		rc = tf_rw(&d.f, q, 0, sector, rbuf, ns);
		if (rc != BLKIF_RSP_OKAY || memcmp(rbuf, wbuf, ns * 512)) {
			diag("read of %u sectors: %d", ns, rc);
			bad++;
		}
	}
	ok(!bad, "%s: 1 to 2048 sectors written and read back", what);

	bad = 0;
	for (q = 0; q < 4; q++) {
		for (k = 0; k < 16; k++) {
			ids[k] = tf_start_rw(&d.f, q, 0,
					     12000 + (q * 16 + k) * 16, NULL,
					     16);
			if (ids[k] < 0)
				bad++;
		}
		for (k = 0; k < 16; k++) {
			if (tf_get_rsp(&d.f, q, &rsp, 5000) != 1 ||
			    rsp.status != BLKIF_RSP_OKAY || rsp.id >= 64) {
				bad++;
				continue;
			}
			tf_read_data(&d.f, q, (int)rsp.id, rbuf, 16);
			for (i = 0; i < 16; i++)
				if (ids[i] == (int)rsp.id)
					break;
			if (i == 16 ||
			    !tb_file_equals(path,
					    (12000 + (q * 16 + i) * 16) *
						    512ull,
					    rbuf, 16 * 512))
				bad++;
			tf_release(d.f.q[q], (int)rsp.id);
		}
	}
	ok(!bad, "%s: 16 reads in flight per queue", what);
	is_int(tf_simple(&d.f, 1, BLKIF_OP_FLUSH_DISKCACHE, 0, 0, 0),
	       BLKIF_RSP_OKAY, "%s: flush", what);
	is_int(tf_simple(&d.f, 2, BLKIF_OP_WRITE_BARRIER, 0, 0, 0),
	       BLKIF_RSP_OKAY, "%s: barrier", what);
	if (!persistent)
		hostile(&d, path, be);
	tb_disk_down(&d);
}

/* "test-no-write": pv-identity whose device may never write memory. */
static const struct duet_dma_ops *pvid;
static struct duet_dma_ops no_write;

static int no_write_translate(void *priv, duet_dma_addr_t addr, int write,
			      uint64_t *maddr)
{
	return write ? -EACCES : pvid->translate(priv, addr, write, maddr);
}

static unsigned fault_lines;

static void count_faults(void *opaque, int level, const char *msg)
{
	if (strstr(msg, "device write fault"))
		fault_lines++;
}

static void faulty(unsigned idx)
{
	struct tf_opts o = { .order = 1, .nqueues = 2, .indirect = 1 };
	struct tb_disk d;
	const char *path;
	unsigned i, bad = 0, windows;
	struct timespec t0, t1;

	pvid = duet_dma_backend_find("pv-identity");
	no_write = *pvid;
	no_write.name = "test-no-write";
	no_write.translate = no_write_translate;
	is_int(duet_dma_backend_register(&no_write), 0,
	       "a backend registered by the test");
	path = tb_file("faulty", DISK);
	if (!ok(!tb_disk_up_opt(&d, "xvdy", path, NULL, &o, "dma",
				"test-no-write"),
		"test-no-write: connected, no change to blkback"))
		return;
	tb_fill(wbuf, 65536, idx);
	is_int(tf_rw(&d.f, 0, 1, 8, wbuf, 128), BLKIF_RSP_OKAY,
	       "test-no-write: a 64 KiB write (the device reads): OKAY");
	ok(tb_file_equals(path, 8 * 512, wbuf, 65536), "  in the file");
	duet_log_set_handler(count_faults, NULL);
	duet_log_set_level(DUET_LOG_WARN);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 20; i++)
		if (tf_rw(&d.f, i % 2, 0, 8, rbuf, 128) != BLKIF_RSP_ERROR)
			bad++;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	duet_log_set_level(DUET_LOG_ERR);
	duet_log_set_handler(NULL, NULL);
	ok(!bad, "test-no-write: 20 reads, each a device fault: ERROR");
	/* At most 5 lines per 5-second window the reads spanned. */
	windows = 1 + (unsigned)(t1.tv_sec - t0.tv_sec) / 5 + 1;
	ok(fault_lines >= 1 && fault_lines <= 5 * windows,
	   "  logged, rate-limited: %u lines for 20 faults", fault_lines);
	is_int(tf_rw(&d.f, 1, 1, 256, wbuf, 8), BLKIF_RSP_OKAY,
	       "test-no-write: the disk still takes writes");
	tb_disk_down(&d);
}

/* DMA_BACKENDS (a space-separated list) limits the backends tried. */
static int listed(const char *be)
{
	const char *l = getenv("DMA_BACKENDS"), *p;
	size_t n = strlen(be);

	for (p = l; p && (p = strstr(p, be)); p += n)
		if ((p == l || p[-1] == ' ') && (!p[n] || p[n] == ' '))
			return 1;
	return !l;
}

int main(void)
{
	struct tf_opts o = { .nqueues = 1 };
	struct tb_disk d;
	unsigned i, idx = 0;
	const char *be;

	tb_init();
	for (i = 0; duet_dma_backend_at(i); i++) {
		be = duet_dma_backend_at(i)->name;
		if (!listed(be))
			continue;
		run(idx++, be, 1);
		run(idx++, be, 0);
	}
	faulty(idx++);
	ok(tb_disk_up_opt(&d, "xvdz", tb_file("bad", DISK), NULL, &o, "dma",
			  "no-such-backend") != 0,
	   "an unknown DMA backend: the disk is not served");
	tb_disk_down(&d);
	tb_cleanup();
	return done_testing();
}

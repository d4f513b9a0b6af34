/* SPDX-License-Identifier: MIT */
/*
 * data.c - data through blkback is bit-identical to the backing file, for
 * every combination of persistent grants on/off, indirect segments on/off,
 * 1 and 4 queues, ring-page-order 0 and 4: writes land in the file, and
 * reads return what the file holds, for sizes from one sector to 1 MiB
 * (non-persistent requests by grant copy, and by temporary grant maps
 * with the ring-order-4 combinations),
 * at unaligned sectors, with many requests in flight on every queue; and
 * the same for a frontend speaking the 32-bit x86 ABI.
 */
#include "backends/blkback/common.h"
#include "lib/tbsetup.h"

#define DISK (8u << 20)

static char wbuf[1 << 20], rbuf[1 << 20];

static void one_combo(unsigned idx, int persistent, int indirect,
		      unsigned nq, unsigned order, const char *abi)
{
	struct tf_opts o = { .order = order, .nqueues = nq,
			     .persistent = persistent, .indirect = indirect,
			     .protocol = abi };
	static const unsigned sizes[] = { 1, 7, 8, 24, 88, 89, 512, 2048 };
	char name[32], vdev[16], what[96];
	struct tb_disk d;
	const char *path;
	unsigned i, q, bad = 0, n = 0, ids[64];
	int rc;

	snprintf(what, sizeof(what), "persistent=%d indirect=%d queues=%u "
		 "order=%u%s%s", persistent, indirect, nq, order,
		 abi ? " " : "", abi ? abi : "");
	snprintf(name, sizeof(name), "disk%u", idx);
	snprintf(vdev, sizeof(vdev), "xvd%c", 'a' + idx);
	path = tb_file(name, DISK);
	/* Without persistent grants, big requests of the ring-order-4
	 * combinations go through temporary grant maps (the simulator's
	 * default is grant copy for every size). */
	bb_map_threshold_override = !persistent && order == 4 ? 12 : 0;
	if (!ok(!tb_disk_up(&d, vdev, path, NULL, &o), "%s: connected", what))
		goto out;
	is_int(d.f.sectors, DISK / 512, "  sectors published");
	is_int(d.f.max_indirect, 256, "  feature-max-indirect-segments 256");
	is_int(d.f.be_persistent, 1, "  feature-persistent 1");

	/* Synchronous writes and reads of every size, on every queue. */
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned ns = sizes[i];
		uint64_t sector = (uint64_t)i * 1500 + 3;

		if (!indirect && ns > 88)
			continue;
		q = i % nq;
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
		n++;
	}
	ok(!bad, "  %u sizes written and read back bit-identical", n);

	/* Reads of the untouched pattern, 16 in flight per queue. */
	bad = 0;
	for (q = 0; q < nq; q++) {
		struct blkif_response rsp;
		unsigned k;

		for (k = 0; k < 16; k++) {
			int id = tf_start_rw(&d.f, q, 0,
					     12000 + (q * 16 + k) * 16, NULL,
					     16);
			ids[k] = (unsigned)id;
			if (id < 0)
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
				if (ids[i] == rsp.id)
					break;
			if (i == 16 ||
			    !tb_file_equals(path,
					    (12000 + (q * 16 + i) * 16) * 512ull,
					    rbuf, 16 * 512))
				bad++;
			tf_release(d.f.q[q], rsp.id);
		}
	}
	ok(!bad, "  16 reads in flight per queue return the file's data");
	tb_disk_down(&d);
out:
	return;
}

int main(void)
{
	unsigned idx = 0;
	int persistent, indirect;
	unsigned nq, order;

	tb_init();
	for (persistent = 0; persistent <= 1; persistent++)
		for (indirect = 0; indirect <= 1; indirect++)
			for (nq = 1; nq <= 4; nq += 3)
				for (order = 0; order <= 4; order += 4)
					one_combo(idx++, persistent, indirect,
						  nq, order, NULL);
	/* A 32-bit x86 guest (108-byte requests), both grant paths. */
	one_combo(idx++, 1, 1, 4, 4, "x86_32-abi");
	one_combo(idx++, 0, 1, 1, 0, "x86_32-abi");
	tb_cleanup();
	return done_testing();
}

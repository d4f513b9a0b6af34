/* SPDX-License-Identifier: MIT */
/*
 * store.c - what blkback decides from its backing store, and the inline
 * I/O path of a memory-backed store:
 *   - a file never offers discard-secure (bb_store_open() says 0, the
 *     backend writes discard-secure 0), and a discard flagged
 *     BLKIF_DISCARD_SECURE is refused with BLKIF_RSP_EOPNOTSUPP and
 *     leaves the data in place (never a plain, insecure discard);
 *   - a file in /dev/shm (tmpfs) is run inline (st->inline_io), any other
 *     file only when its file system is tmpfs or ramfs;
 *   - through an inline store, writes land in the file and reads return
 *     it, by grant copy and by persistent grants, with requests in
 *     flight; flush, barrier with data, and discard (a hole that reads
 *     back as zeros) work;
 *   - an inline store is mapped; when its file shrinks under a connected
 *     disk, a read or write past the new end is ERROR (the mapping's
 *     SIGBUS is caught), twice in a row, the backend lives on and the rest
 *     of the disk still works; a SIGBUS that is not blkback's still ends
 *     the process (a child that touches a truncated mapping of its own
 *     dies).
 */
#include <linux/magic.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/wait.h>

#include "backends/blkback/common.h"
#include "lib/tbsetup.h"

#define DISK (4u << 20)

static char wbuf[1 << 18], rbuf[1 << 18];

static void skip_n(int n, const char *why)
{
	while (n--)
		ok(1, "# SKIP %s", why);
}

static int on_tmpfs(const char *path)
{
	struct statfs sfs;

	return !statfs(path, &sfs) &&
	       (sfs.f_type == TMPFS_MAGIC || sfs.f_type == RAMFS_MAGIC);
}

static void decisions(const char *file, const char *shm)
{
	struct bb_store st;

	if (ok(!bb_store_open(&st, file, 0), "open a file")) {
		is_int(st.discard_secure, 0, "  a file: no secure discard");
		is_int(st.inline_io, on_tmpfs(file),
		       "  inline I/O only if its file system is in memory");
		bb_store_close(&st);
	}
	if (!shm) {
		skip_n(1, "/dev/shm is not a tmpfs");
		return;
	}
	if (ok(!bb_store_open(&st, file, 0), "open a file again")) {
		ok(!st.map || st.inline_io, "  only an inline store is mapped");
		bb_store_close(&st);
	}
	if (ok(!bb_store_open(&st, shm, 0), "open a file in /dev/shm")) {
		is_int(st.inline_io, 1, "  a tmpfs file runs inline");
		ok(st.map != NULL, "  and is mapped");
		bb_store_close(&st);
	}
}

/* The file under a connected inline disk shrinks to half its size. */
static void inline_shrunk(const char *path)
{
	struct tf_opts o = { .order = 2, .nqueues = 1, .persistent = 1,
			     .indirect = 1 };
	uint64_t past = (DISK / 2 + 4096) / 512;
	struct tb_disk d;

	if (!ok(!tb_disk_up(&d, "xvdd", path, NULL, &o),
		"inline store: connected"))
		return;
	tb_fill(wbuf, 4096, 77);
	is_int(tf_rw(&d.f, 0, 1, past, wbuf, 8), BLKIF_RSP_OKAY,
	       "  a write at 2.004 MiB is OKAY");
	ok(!truncate(path, DISK / 2), "  the file shrinks to 2 MiB");
	is_int(tf_rw(&d.f, 0, 0, past, rbuf, 8), BLKIF_RSP_ERROR,
	       "  a read past the new end is ERROR");
	is_int(tf_rw(&d.f, 0, 1, past + 8, wbuf, 8), BLKIF_RSP_ERROR,
	       "  and so is a write there, right after");
	tb_fill(wbuf, 4096, 78);
	is_int(tf_rw(&d.f, 0, 1, 16, wbuf, 8), BLKIF_RSP_OKAY,
	       "  a write inside the file is OKAY");
	memset(rbuf, 0, 4096);
	ok(!tf_rw(&d.f, 0, 0, 16, rbuf, 8) && !memcmp(rbuf, wbuf, 4096) &&
		   tb_file_equals(path, 16 * 512, wbuf, 4096),
	   "  and reads back from the file");
	tb_disk_down(&d);
	ok(!truncate(path, DISK), "  the file grows back");
}

/* Under AddressSanitizer its handler, the one before ours, reports the
 * fault and exits 1. */
#ifdef __SANITIZE_ADDRESS__
#define ASAN_EXIT 1
#else
#define ASAN_EXIT (-1)
#endif

/* A SIGBUS outside blkback's copies is not swallowed. */
static void foreign_sigbus(const char *shm)
{
	char other[160];
	struct bb_store st;
	int status = 0;
	pid_t pid;

	snprintf(other, sizeof(other), "%s.other", shm);
	pid = fork();
	if (pid == 0) {
		int fd = open(other, O_CREAT | O_TRUNC | O_RDWR, 0600);
		volatile char *m;

		if (fd < 0 || ftruncate(fd, 8192) ||
		    bb_store_open(&st, shm, 0))
			_exit(0);
		m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			 0);
		if (m == MAP_FAILED || ftruncate(fd, 0))
			_exit(0);
		alarm(10);
		m[4096] = 1;
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		status = 0;
	ok((WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS) ||
		   (WIFEXITED(status) && WEXITSTATUS(status) == ASAN_EXIT),
	   "a SIGBUS outside blkback's copies still ends the process "
	   "(wait status %#x)", status);
	unlink(other);
}

static void secure_discard_refused(const char *path)
{
	struct tf_opts o = { .nqueues = 1, .indirect = 1 };
	struct tb_disk d;
	char node[256], *val = NULL;

	if (!ok(!tb_disk_up(&d, "xvda", path, NULL, &o), "file disk up"))
		return;
	snprintf(node, sizeof(node), "%s/discard-secure", d.b.dir);
	ok(d.f.discard, "feature-discard is offered");
	ok(duet_xs_read(tb_xs0, DUET_XS_NO_TX, node, &val) >= 0 &&
	   val && !strcmp(val, "0"), "discard-secure is 0 for a file");
	free(val);
	tb_fill(wbuf, 65536, 7);
	is_int(tf_rw(&d.f, 0, 1, 512, wbuf, 128), BLKIF_RSP_OKAY,
	       "64 KiB written");
	is_int(tf_simple(&d.f, 0, BLKIF_OP_DISCARD, 512, 128,
			 BLKIF_DISCARD_SECURE),
	       BLKIF_RSP_EOPNOTSUPP, "a secure discard is EOPNOTSUPP");
	ok(tb_file_equals(path, 512 * 512, wbuf, 65536),
	   "  and the data is still there");
	is_int(tf_simple(&d.f, 0, BLKIF_OP_DISCARD, 512, 128, 0),
	       BLKIF_RSP_OKAY, "a plain discard of the same range is OKAY");
	tb_disk_down(&d);
}

static void inline_data(const char *path, int persistent, unsigned idx)
{
	struct tf_opts o = { .order = 2, .nqueues = 2,
			     .persistent = persistent, .indirect = 1 };
	static const unsigned sizes[] = { 1, 8, 89, 512 };
	char vdev[16], what[64];
	struct tb_disk d;
	unsigned i, k, bad = 0;
	int ids[16];

	snprintf(what, sizeof(what), "inline store, persistent=%d",
		 persistent);
	snprintf(vdev, sizeof(vdev), "xvd%c", 'b' + idx);
	if (!ok(!tb_disk_up(&d, vdev, path, NULL, &o), "%s: connected", what))
		return;
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t sector = 8 + i * 1024;
		unsigned ns = sizes[i];

		tb_fill(wbuf, ns * 512, idx * 10 + i);
		if (tf_rw(&d.f, i % 2, 1, sector, wbuf, ns) ||
		    !tb_file_equals(path, sector * 512, wbuf, ns * 512))
			bad++;
		memset(rbuf, 0, ns * 512);
		if (tf_rw(&d.f, (i + 1) % 2, 0, sector, rbuf, ns) ||
		    memcmp(rbuf, wbuf, ns * 512))
			bad++;
	}
	ok(!bad, "  writes land in the file and read back identical");

	/* 16 reads in flight on one queue: all answered in one pass. */
	bad = 0;
	for (k = 0; k < 16; k++)
		ids[k] = tf_start_rw(&d.f, 0, 0, 4096 + k * 8, NULL, 8);
	for (k = 0; k < 16; k++) {
		struct blkif_response rsp;

		if (tf_get_rsp(&d.f, 0, &rsp, 5000) != 1 || rsp.status) {
			bad++;
			continue;
		}
		for (i = 0; i < 16 && ids[i] != (int)rsp.id; i++)
			;
		tf_read_data(&d.f, 0, (int)rsp.id, rbuf, 8);
		if (i == 16 || !tb_file_equals(path, (4096 + i * 8) * 512ull,
					       rbuf, 4096))
			bad++;
		tf_release(d.f.q[0], rsp.id);
	}
	ok(!bad, "  16 reads in flight return the file's data");

	is_int(tf_simple(&d.f, 0, BLKIF_OP_FLUSH_DISKCACHE, 0, 0, 0),
	       BLKIF_RSP_OKAY, "  a flush is OKAY");
	is_int(tf_simple(&d.f, 0, BLKIF_OP_WRITE_BARRIER, 0, 0, 0),
	       BLKIF_RSP_OKAY, "  a barrier is OKAY");
	is_int(tf_simple(&d.f, 1, BLKIF_OP_DISCARD, 8, 8, 0), BLKIF_RSP_OKAY,
	       "  a discard is OKAY");
	memset(wbuf, 0, 4096);
	ok(tb_file_equals(path, 8 * 512, wbuf, 4096),
	   "  and its range reads back as zeros");
	is_int(tf_rw(&d.f, 0, 0, (DISK / 512) - 4, rbuf, 8),
	       BLKIF_RSP_ERROR, "  a read past the end is ERROR");
	tb_disk_down(&d);
}

int main(void)
{
	char shm[128];
	const char *file, *shmp = NULL;
	int fd;

	tb_init();
	file = tb_file("plain", DISK);
	snprintf(shm, sizeof(shm), "/dev/shm/duet-blkback-store.%d",
		 (int)getpid());
	fd = open(shm, O_CREAT | O_TRUNC | O_RDWR, 0600);
	if (fd >= 0 && !ftruncate(fd, DISK) && on_tmpfs(shm))
		shmp = shm;
	if (fd >= 0)
		close(fd);
	decisions(file, shmp);
	secure_discard_refused(file);
	if (shmp) {
		inline_data(shmp, 0, 0);
		inline_data(shmp, 1, 1);
		inline_shrunk(shmp);
		foreign_sigbus(shmp);
	} else {
		skip_n(1, "/dev/shm is not a tmpfs: no inline store");
	}
	unlink(shm);
	tb_cleanup();
	return done_testing();
}

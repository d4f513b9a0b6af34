/* SPDX-License-Identifier: MIT */
/*
 * io.c - the backing store (a file or block device) and its two
 * engines (engine.h): uring, and inline for memory-backed files.
 *
 * The store is opened twice: buffered, and with O_DIRECT when the file
 * system allows it.  A request goes to the O_DIRECT descriptor when its
 * offset, length and every buffer are aligned to what O_DIRECT needs
 * (statx STATX_DIOALIGN, or the logical sector size of a block device);
 * otherwise, or once O_DIRECT failed with EINVAL/EFAULT for our memory
 * (e.g. grant mappings some kernels cannot pin), to the buffered one.
 *
 * Each queue has its own io_uring.  uring_submit() only fills SQEs; the
 * ring pass submits them all with one io_uring_enter() (kick).  user_data
 * is the request pointer with the low bit set for the data operation (whose
 * result must be the full length) and clear for flush/discard.
 *
 *   READ/WRITE         readv/writev
 *   FLUSH_DISKCACHE    fdatasync, or writev -> fdatasync (linked) with data
 *   WRITE_BARRIER      the same, the first SQE with IOSQE_IO_DRAIN (it
 *                      starts after everything submitted before), and the
 *                      next submission drains too (nothing submitted
 *                      after it starts before it finished)
 *   DISCARD            fallocate(PUNCH_HOLE | KEEP_SIZE) on a file,
 *                      BLKDISCARD (BLKSECDISCARD when secure) on a block
 *                      device, synchronously
 *
 * Memory-backed stores.  A file on tmpfs or ramfs (the RAM-backed disk of
 * the benchmark, a guest's scratch disk in /dev/shm) never waits for a
 * device, but these file systems do not take non-blocking I/O
 * (FMODE_NOWAIT; preadv2(RWF_NOWAIT) answers EOPNOTSUPP), so io_uring
 * hands every read and write to an io-wq worker thread: a wake-up, a
 * context switch and an IPI per request.  Measured with
 * tests/bench/blkback.c (4 KiB random reads, QD32, persistent grants, one
 * queue): 36-256K IOPS through io-wq on a loaded 2-core machine, the
 * workers taking 10-37% of the samples.  For such a store
 * (st->inline_io) the inline engine runs the operation itself, at once,
 * with preadv/pwritev/fdatasync/fallocate on the buffered descriptor
 * (O_DIRECT means nothing there): the ring pass is the I/O, and requests
 * finish in the order they were taken, which keeps barriers trivially
 * ordered.  The inline engine maps the file (MAP_SHARED, its size at
 * open) and copies with memcpy(): the same page cache preadv() reads, with
 * no system call, no page-cache lookup and no iovec import per request
 * (those were half of the CPU per 4 KiB read in the benchmark).  A file
 * truncated under us, or a tmpfs that is full when a write needs a page,
 * raises SIGBUS on the access where preadv() would return a short count or
 * ENOSPC: the copy runs under a SIGBUS guard (bus_copy()) that fails the
 * request with -EIO instead.  Without a mapping (mmap refused) it uses
 * preadv/pwritev.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <linux/magic.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "backends/blkback/common.h"

static int uring_submit(struct bb_queue *q, struct bb_req *r);

/* ------------------------------------------------------------------ */
/* The store                                                           */
/* ------------------------------------------------------------------ */

/*
 * The SIGBUS guard of the inline engine's copies.  A fault on a mapped
 * store is delivered to the thread that made it; when that thread is in
 * bus_copy() (bus_jmp set) the handler jumps back there, which answers
 * -EIO.  Any other SIGBUS goes to the disposition there was before ours
 * (for the default one: restored, and the faulting access, re-run on
 * return, ends the process as it would have).  SA_NODEFER leaves SIGBUS
 * unblocked after the jump, so sigsetjmp() need not save the mask.
 */
static __thread sigjmp_buf *bus_jmp;
static struct sigaction bus_prev;
static pthread_once_t bus_once = PTHREAD_ONCE_INIT;
static int bus_err;

static void bus_handler(int sig, siginfo_t *si, void *uc)
{
	if (bus_jmp)
		siglongjmp(*bus_jmp, 1);
	if (bus_prev.sa_flags & SA_SIGINFO) {
		bus_prev.sa_sigaction(sig, si, uc);
	} else if (bus_prev.sa_handler == SIG_DFL ||
		   bus_prev.sa_handler == SIG_IGN) {
		sigaction(SIGBUS, &bus_prev, NULL);
	} else {
		bus_prev.sa_handler(sig);
	}
}

static void bus_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = bus_handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGBUS, &sa, &bus_prev) < 0)
		bus_err = -errno;
}

static int bus_guard_init(void)
{
	pthread_once(&bus_once, bus_install);
	return bus_err;
}

/* @n bytes from @src to @dst, one side in a store mapping: 0, or -EIO when
 * the mapping faulted (the file shrank, or tmpfs had no page to give). */
static int bus_copy(void *dst, const void *src, size_t n)
{
	sigjmp_buf env;

	if (sigsetjmp(env, 0)) {
		bus_jmp = NULL;
		return -EIO;
	}
	bus_jmp = &env;
	/* The handler runs on this thread: signal fences keep the copy
	 * between the two stores of bus_jmp the handler reads. */
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	memcpy(dst, src, n);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	bus_jmp = NULL;
	return 0;
}

/* A file whose data lives in memory only (see "Memory-backed stores"). */
static int memory_backed(int fd)
{
	struct statfs sfs;

	if (fstatfs(fd, &sfs) < 0)
		return 0;
	return sfs.f_type == TMPFS_MAGIC || sfs.f_type == RAMFS_MAGIC;
}

int bb_store_open(struct bb_store *st, const char *path,
		       int readonly)
{
	int flags = (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	struct statx stx;
	struct stat sb;
	int rc;

	memset(st, 0, sizeof(*st));
	st->fd = -1;
	st->dfd = -1;
	st->fd = open(path, flags);
	if (st->fd < 0)
		return -errno;
	if (fstat(st->fd, &sb) < 0) {
		rc = -errno;
		goto err;
	}
	st->readonly = !!readonly;
	st->sector_size = 512;
	st->phys_sector_size = 512;
	st->dio_align = 512;
	if (S_ISBLK(sb.st_mode)) {
		uint64_t bytes;
		int ss = 512;
		unsigned int pss = 512;

		st->is_bdev = 1;
		if (ioctl(st->fd, BLKGETSIZE64, &bytes) < 0) {
			rc = -errno;
			goto err;
		}
		st->size = bytes;
		if (!ioctl(st->fd, BLKSSZGET, &ss) && ss >= 512)
			st->sector_size = (unsigned)ss;
		if (!ioctl(st->fd, BLKPBSZGET, &pss) && pss >= 512)
			st->phys_sector_size = pss;
		st->dio_align = st->sector_size;
		st->discard = 1;
		st->discard_granularity = st->phys_sector_size;
		st->discard_secure = !readonly &&
				     bb_store_secure_erase(st->fd);
	} else if (S_ISREG(sb.st_mode)) {
		st->size = (uint64_t)sb.st_size;
		if (sb.st_blksize >= 512 && sb.st_blksize <= 65536)
			st->phys_sector_size = (unsigned)sb.st_blksize;
		st->discard = 1;
		st->discard_granularity = st->phys_sector_size;
		st->inline_io = memory_backed(st->fd);
		if (!statx(st->fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) &&
		    (stx.stx_mask & STATX_DIOALIGN) &&
		    stx.stx_dio_offset_align) {
			st->dio_align = stx.stx_dio_offset_align;
			if (stx.stx_dio_mem_align > st->dio_align)
				st->dio_align = stx.stx_dio_mem_align;
		}
	} else {
		rc = -EINVAL;
		goto err;
	}
	if (st->phys_sector_size < st->sector_size)
		st->phys_sector_size = st->sector_size;
	if (st->inline_io && st->size && st->size <= SIZE_MAX &&
	    bus_guard_init() == 0) {
		void *m = mmap(NULL, (size_t)st->size,
			       PROT_READ | (readonly ? 0 : PROT_WRITE),
			       MAP_SHARED, st->fd, 0);

		st->map = m == MAP_FAILED ? NULL : m;
	}
	st->dfd = open(path, flags | O_DIRECT);
	atomic_store(&st->direct_ok, st->dfd >= 0);
	return 0;
err:
	close(st->fd);
	st->fd = -1;
	return rc;
}

int bb_store_secure_erase(int fd)
{
	uint64_t range[2] = { 1, 512 };

	/* EINVAL: the range was looked at, so secure erase is there. */
	return ioctl(fd, BLKSECDISCARD, range) < 0 && errno == EINVAL;
}

void bb_store_close(struct bb_store *st)
{
	if (st->map)
		munmap(st->map, (size_t)st->size);
	st->map = NULL;
	if (st->dfd >= 0)
		close(st->dfd);
	if (st->fd >= 0)
		close(st->fd);
	st->fd = -1;
	st->dfd = -1;
}

/* ------------------------------------------------------------------ */
/* The engine                                                          */
/* ------------------------------------------------------------------ */

/*
 * open: the store, and its capabilities; a memory-backed file goes to the
 * inline engine.
 */
static int file_open(struct bb_dev *dev, const char *params, int readonly,
		     struct bb_engine_caps *caps, char *err, size_t errlen)
{
	struct bb_store *st = &dev->store;
	int rc;

	rc = bb_store_open(st, params, readonly);
	if (rc) {
		snprintf(err, errlen, "cannot open %s: %s", params,
			 strerror(-rc));
		return rc;
	}
	memset(caps, 0, sizeof(*caps));
	caps->size = st->size;
	caps->sector_size = st->sector_size;
	caps->phys_sector_size = st->phys_sector_size;
	caps->flush = 1;
	caps->barrier = 1;
	caps->discard = st->discard;
	caps->discard_secure = st->discard_secure;
	caps->discard_granularity = st->discard_granularity;
	if (st->inline_io)
		dev->eng = &bb_engine_inline;
	return 0;
}

static void file_close(struct bb_dev *dev)
{
	bb_store_close(&dev->store);
}

static int uring_queue_open(struct bb_queue *q)
{
	struct io_uring_params prm;
	unsigned entries = 64;
	int rc;

	while (entries < q->nreqs * 3 && entries < 4096)
		entries <<= 1;
	/* No IORING_SETUP_COOP_TASKRUN: completions must reach the CQ (and
	 * the eventfd) while the thread sleeps in poll(), not only when it
	 * next enters io_uring. */
	memset(&prm, 0, sizeof(prm));
	rc = io_uring_queue_init_params(entries, &q->uring, &prm);
	if (rc < 0)
		return rc;
	rc = io_uring_register_eventfd(&q->uring, q->efd);
	if (rc < 0) {
		io_uring_queue_exit(&q->uring);
		return rc;
	}
	q->uring_ok = 1;
	return 0;
}

static void uring_queue_close(struct bb_queue *q)
{
	if (q->uring_ok)
		io_uring_queue_exit(&q->uring);
	q->uring_ok = 0;
}

static struct io_uring_sqe *get_sqe(struct bb_queue *q)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&q->uring);

	if (!sqe) {
		io_uring_submit(&q->uring);
		sqe = io_uring_get_sqe(&q->uring);
	}
	if (sqe && q->drain_next) {
		io_uring_sqe_set_flags(sqe, IOSQE_IO_DRAIN);
		q->drain_next = 0;
	}
	return sqe;
}

static int aligned(const struct bb_store *st, const struct bb_req *r)
{
	uint64_t a = st->dio_align - 1;
	unsigned i;

	if (((r->p.sector * 512) | r->len) & a)
		return 0;
	for (i = 0; i < r->niov; i++)
		if (((uintptr_t)r->iov[i].iov_base | r->iov[i].iov_len) & a)
			return 0;
	return 1;
}

static int discard_sync(struct bb_store *st, struct bb_req *r)
{
	uint64_t range[2] = { r->p.sector * 512, r->p.nr_sectors * 512 };

	if (!range[1])
		return 0;
	if (ioctl(st->fd, r->p.discard_secure ? BLKSECDISCARD : BLKDISCARD,
		  range) < 0)
		return errno == EOPNOTSUPP ? -EOPNOTSUPP : -EIO;
	return 0;
}

/* The data of @r on an inline store: 0 or -EIO (short counts too). */
static int inline_rw(struct bb_store *st, struct bb_req *r)
{
	off_t off = (off_t)(r->p.sector * 512);
	ssize_t n;
	unsigned i;

	if (st->map) {
		uint64_t at = r->p.sector * 512;

		if (at > st->size || r->len > st->size - at)
			return -EIO;
		for (i = 0; i < r->niov; i++) {
			void *m = st->map + at;
			int rc = r->p.write_data ?
				bus_copy(m, r->iov[i].iov_base,
					 r->iov[i].iov_len) :
				bus_copy(r->iov[i].iov_base, m,
					 r->iov[i].iov_len);

			if (rc)
				return rc;
			at += r->iov[i].iov_len;
		}
		return 0;
	}
	do {
		if (r->p.write_data)
			n = pwritev(st->fd, r->iov, (int)r->niov, off);
		else
			n = preadv(st->fd, r->iov, (int)r->niov, off);
	} while (n < 0 && errno == EINTR);
	return n >= 0 && (size_t)n == r->len ? 0 : -EIO;
}

/* Run @r on an inline store; 0 or -errno, the request's status. */
static int inline_run(struct bb_store *st, struct bb_req *r)
{
	int rc = 0;

	if (r->p.kind == BB_DISCARD) {
		if (r->p.nr_sectors &&
		    fallocate(st->fd,
			      FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      (off_t)(r->p.sector * 512),
			      (off_t)(r->p.nr_sectors * 512)) < 0)
			return errno == EOPNOTSUPP ? -EOPNOTSUPP : -EIO;
		return 0;
	}
	if (r->p.nseg)
		rc = inline_rw(st, r);
	if (!rc && (r->p.kind == BB_FLUSH ||
		    r->p.kind == BB_BARRIER) && fdatasync(st->fd) < 0)
		rc = -EIO;
	return rc;
}

/* submit: queue the SQEs of @r (its data ready for writes). */
static int uring_submit(struct bb_queue *q, struct bb_req *r)
{
	struct bb_store *st = &q->dev->store;
	struct io_uring_sqe *sqe;
	int fd = st->fd, barrier = r->p.kind == BB_BARRIER;
	uint64_t off = r->p.sector * 512;

	r->cqes = 0;
	/* Room for a whole chain (at most 3 SQEs), so that a linked chain
	 * is never split across submissions. */
	if (io_uring_sq_space_left(&q->uring) < 3)
		io_uring_submit(&q->uring);
	if (r->p.kind == BB_DISCARD) {
		if (st->is_bdev)
			return discard_sync(st, r);
		if (!r->p.nr_sectors)
			return 0;
		sqe = get_sqe(q);
		if (!sqe)
			return -EBUSY;
		io_uring_prep_fallocate(sqe, st->fd,
					FALLOC_FL_PUNCH_HOLE |
						FALLOC_FL_KEEP_SIZE,
					off, r->p.nr_sectors * 512);
		io_uring_sqe_set_data(sqe, r);
		r->cqes = 1;
		return 0;
	}
	if (r->p.nseg && !r->retried && st->dfd >= 0 &&
	    atomic_load_explicit(&st->direct_ok, memory_order_relaxed) &&
	    aligned(st, r))
		fd = st->dfd;
	r->buffered = fd == st->fd;
	if (r->p.nseg) {
		sqe = get_sqe(q);
		if (!sqe)
			return -EBUSY;
		if (r->p.write_data)
			io_uring_prep_writev(sqe, fd, r->iov, r->niov, off);
		else
			io_uring_prep_readv(sqe, fd, r->iov, r->niov, off);
		io_uring_sqe_set_data(sqe, (void *)((uintptr_t)r | 1));
		if (barrier)
			sqe->flags |= IOSQE_IO_DRAIN;
		r->cqes++;
		if (r->p.kind == BB_READ || r->p.kind == BB_WRITE)
			return 0;
		sqe->flags |= IOSQE_IO_LINK;
		barrier = 0;
	}
	/* FLUSH or BARRIER: make the data (and all completed writes) stable. */
	sqe = get_sqe(q);
	if (!sqe)
		return r->cqes ? 0 : -EBUSY;
	io_uring_prep_fsync(sqe, st->fd, IORING_FSYNC_DATASYNC);
	io_uring_sqe_set_data(sqe, r);
	if (barrier)
		sqe->flags |= IOSQE_IO_DRAIN;
	r->cqes++;
	if (r->p.kind == BB_BARRIER)
		q->drain_next = 1;
	return 0;
}

/* One completion; the request when it is now finished, else NULL. */
static struct bb_req *uring_complete(struct bb_queue *q,
				     struct io_uring_cqe *cqe)
{
	uintptr_t ud = (uintptr_t)io_uring_cqe_get_data(cqe);
	struct bb_req *r = (struct bb_req *)(ud & ~(uintptr_t)1);
	int res = cqe->res;

	if (ud & 1) {
		if (res < 0 && !r->buffered && !r->retried &&
		    (res == -EINVAL || res == -EFAULT)) {
			/* O_DIRECT cannot do this memory: buffered now on. */
			atomic_store(&q->dev->store.direct_ok, 0);
			r->retry = 1;
		} else if (res >= 0 && (size_t)res != r->len) {
			res = -EIO;
		}
	}
	if (res < 0 && !r->err && !r->retry)
		r->err = res == -EOPNOTSUPP ? -EOPNOTSUPP : -EIO;
	if (--r->cqes)
		return NULL;
	if (r->retry) {
		r->retry = 0;
		r->retried = 1;
		r->err = 0;
		r->err = uring_submit(q, r);
		if (!r->err && r->cqes)
			return NULL;
	}
	return r;
}

static void uring_kick(struct bb_queue *q)
{
	io_uring_submit(&q->uring);
}

static unsigned uring_reap(struct bb_queue *q, struct bb_req **done,
			   unsigned max)
{
	struct io_uring_cqe *cqe;
	unsigned n = 0;

	while (n < max && !io_uring_peek_cqe(&q->uring, &cqe)) {
		struct bb_req *r = uring_complete(q, cqe);

		io_uring_cqe_seen(&q->uring, cqe);
		if (r)
			done[n++] = r;
	}
	return n;
}

/* Completions are signalled on q->efd as well. */
static int uring_ready(struct bb_queue *q)
{
	return io_uring_cq_ready(&q->uring) != 0;
}

static int uring_wait(struct bb_queue *q)
{
	struct io_uring_cqe *cqe;

	return io_uring_wait_cqe(&q->uring, &cqe);
}

static int no_fd(struct bb_queue *q, short *events)
{
	*events = 0;
	return -1;
}

static void no_poll_done(struct bb_queue *q, short revents)
{
}

static int no_timeout(struct bb_queue *q)
{
	return -1;
}

const struct bb_engine_ops bb_engine_uring = {
	.name = "uring",
	.open = file_open,
	.close = file_close,
	.queue_open = uring_queue_open,
	.queue_close = uring_queue_close,
	.submit = uring_submit,
	.kick = uring_kick,
	.reap = uring_reap,
	.ready = uring_ready,
	.poll_fd = no_fd,
	.poll_done = no_poll_done,
	.timeout_ms = no_timeout,
	.wait = uring_wait,
};

/* ------------------------------------------------------------------ */
/* The inline engine                                                   */
/* ------------------------------------------------------------------ */

static int inline_queue_open(struct bb_queue *q)
{
	return 0;
}

static void inline_queue_close(struct bb_queue *q)
{
}

/* submit: run @r at once; it is finished on return. */
static int inline_submit(struct bb_queue *q, struct bb_req *r)
{
	r->cqes = 0;
	return inline_run(&q->dev->store, r);
}

static void inline_kick(struct bb_queue *q)
{
}

static unsigned inline_reap(struct bb_queue *q, struct bb_req **done,
			    unsigned max)
{
	return 0;
}

static int inline_ready(struct bb_queue *q)
{
	return 0;
}

/* Nothing is ever in flight: drained already. */
static int inline_wait(struct bb_queue *q)
{
	return -ECANCELED;
}

const struct bb_engine_ops bb_engine_inline = {
	.name = "inline",
	.open = file_open,
	.close = file_close,
	.queue_open = inline_queue_open,
	.queue_close = inline_queue_close,
	.submit = inline_submit,
	.kick = inline_kick,
	.reap = inline_reap,
	.ready = inline_ready,
	.poll_fd = no_fd,
	.poll_done = no_poll_done,
	.timeout_ms = no_timeout,
	.wait = inline_wait,
};

const struct bb_engine_ops *bb_engine_for(const char *params)
{
	if (bb_nbd_is_uri(params))
		return &bb_engine_nbd;
	if (bb_rbd_is_target(params))
		return &bb_engine_rbd;
	return &bb_engine_uring;
}

/* SPDX-License-Identifier: MIT */
/*
 * common.h - blkback internals: the device, its queues, requests in
 * flight, the backing store and the persistent-grant cache.
 *
 * Files by concern:
 *   xenbus.c   serve(): the backend's xenstore nodes, the XenBus handshake,
 *              connecting and disconnecting queues
 *   ring.c     request parsing and validation (callable without xenstore,
 *              for the fuzz target), one ring pass, responses
 *   io.c       the backing store (file or block device) and the io_uring
 *              engine
 *   persist.c  persistent grants: a per-queue bounded LRU of mappings
 *
 * Threads: the instance's main thread owns xenstore and the XenBus state;
 * each queue runs its own thread that owns its ring, its event channel
 * handle, its io_uring and its persistent grants.  The platform handle is
 * shared and not thread-safe, so grant calls (copy, map, unmap) take
 * dev->plat_lock.  A queue never touches xenstore: a protocol violation
 * it sees is handed to the main thread (blkback_queue_fail()), which calls
 * duet_xenbus_broken().
 */
#ifndef DUET_BLKBACK_COMMON_H
#define DUET_BLKBACK_COMMON_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/uio.h>

#include <liburing.h>
#include <xen/io/blkif.h>

#include "duet/backend.h"
#include "duet/blkback.h"
#include "duet/blkif.h"
#include "duet/platform.h"
#include "duet/ring.h"
#include "duet/xenbus.h"

/* ------------------------------------------------------------------ */
/* Limits (what this backend advertises)                               */
/* ------------------------------------------------------------------ */

/** feature-max-indirect-segments: Linux's blkback allows 256. */
#define BLKBACK_MAX_INDIRECT_SEGS 256u
/** Segments in one indirect page (8-byte blkif_request_segment). */
#define BLKBACK_SEGS_PER_INDIRECT_PAGE \
	(DUET_PAGE_SIZE / sizeof(struct blkif_request_segment))
/** Indirect pages needed for BLKBACK_MAX_INDIRECT_SEGS. */
#define BLKBACK_MAX_INDIRECT_PAGES \
	((BLKBACK_MAX_INDIRECT_SEGS + BLKBACK_SEGS_PER_INDIRECT_PAGE - 1) / \
	 BLKBACK_SEGS_PER_INDIRECT_PAGE)
/** Segments a request may carry at all. */
#define BLKBACK_MAX_SEGS BLKBACK_MAX_INDIRECT_SEGS
/** multi-queue-max-queues: at most this many, default the CPU count
 *  but at least 4 (Linux: the number of online CPUs). */
#define BLKBACK_MAX_QUEUES 16u
#define BLKBACK_MIN_ADVERTISED_QUEUES 4u
/** Persistent grants per queue (Linux: xen_blkif_max_pgrants = 1056). */
#define BLKBACK_MAX_PGRANTS 1056u
/**
 * Persistent grants unused this many seconds are unmapped: the default
 * of the backend node persistent-grant-unused-seconds (1..86400; Linux's
 * xen-blkback module parameter of the same name, 60).  The queue looks
 * once a second, so a grant goes between N and N + 1 s after its last use.
 */
#define BLKBACK_PGRANT_UNUSED_S 60u
#define BLKBACK_PGRANT_UNUSED_MAX_S 86400u
/**
 * Data movement for a request without persistent grants: grant copy
 * through a bounce buffer below a threshold of segments, a temporary
 * grant map (zero copy; map and unmap calls of BLKBACK_MAP_CHUNK pages)
 * from it on.  The threshold is per platform:
 *   sim  never map (BLKBACK_MAP_NEVER): tests/bench/blkback.c measured
 *        1 MiB reads at 2000-2700 MB/s by copy and 700-1050 MB/s by map
 *        (a map costs a daemon round trip plus mmap/munmap and page
 *        faults; a copy one round trip per 64 KiB), and smaller requests
 *        favour copy even more;
 *   xen  map from 64 segments (256 KiB) on, where Linux's blkback maps
 *        everything and QEMU's qdisk copies everything.  Only frontends
 *        without persistent grants get here (Linux's blkfront uses them),
 *        and make xen-bench runs Linux's blkfront, so this threshold is a
 *        choice, not a measurement.
 * blkback_map_threshold_override, when not 0, replaces both (tests).
 */
#define BLKBACK_MAP_THRESHOLD_XEN 64u
#define BLKBACK_MAP_NEVER (BLKBACK_MAX_SEGS + 1u)
extern unsigned blkback_map_threshold_override;
/** Buckets of the in-flight id hash (a power of two). */
#define BLKBACK_ID_BUCKETS 1024u
/** Segments per temporary map call (platform.h: up to 65536 per call). */
#define BLKBACK_MAP_CHUNK 64u
/** Requests taken off the ring in one pass before submitting. */
#define BLKBACK_PASS_MAX 64u

/* ------------------------------------------------------------------ */
/* Parsed requests                                                     */
/* ------------------------------------------------------------------ */

/** What a request asks for, after validation. */
enum blkback_kind {
	BLKBACK_READ = 0,
	BLKBACK_WRITE = 1,
	BLKBACK_FLUSH = 2,   /* BLKIF_OP_FLUSH_DISKCACHE; may carry data */
	BLKBACK_BARRIER = 3, /* BLKIF_OP_WRITE_BARRIER; may carry data */
	BLKBACK_DISCARD = 4,
};

/** One data segment: a page of the frontend, 512-byte sectors in it. */
struct blkback_seg {
	uint32_t gref;
	uint8_t first_sect; /* 0..7 */
	uint8_t last_sect;  /* first_sect..7 */
};

/**
 * struct blkback_parsed - one request, copied and validated.
 * @id:           the frontend's id, echoed in the response.
 * @operation:    the ring opcode (BLKIF_OP_*), echoed in the response.
 * @kind:         enum blkback_kind.
 * @write_data:   1 when data goes to the disk (WRITE, or FLUSH/BARRIER
 *                with segments).
 * @discard_secure: BLKIF_DISCARD_SECURE was asked (and is offered).
 * @nseg:         data segments (0 for a bare flush, barrier, discard).
 * @nindirect:    indirect pages (0 for a direct request).
 * @sector:       first 512-byte sector on the disk.
 * @nr_sectors:   512-byte sectors covered (sum of segments, or discard's).
 * @indirect:     the indirect pages' grant refs.
 * @seg:          the segments (for indirect requests filled by
 *                blkback_parse_indirect()).
 */
struct blkback_parsed {
	uint64_t id;
	uint8_t operation;
	uint8_t kind;
	uint8_t write_data;
	uint8_t discard_secure;
	uint16_t nseg;
	uint16_t nindirect;
	uint64_t sector;
	uint64_t nr_sectors;
	uint32_t indirect[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
	struct blkback_seg seg[BLKBACK_MAX_SEGS];
};

/**
 * struct blkback_limits - what requests are checked against.
 * @sectors:      disk size in 512-byte sectors.
 * @sector_size:  logical sector size (512 or 4096): requests must be
 *                aligned to it, like Linux's "Misaligned I/O request".
 * @max_indirect: feature-max-indirect-segments offered (0: no indirect).
 * @readonly:     mode "r": writes, barriers with data, discards refused.
 * @flush, @barrier, @discard, @discard_secure: features offered.
 */
struct blkback_limits {
	uint64_t sectors;
	unsigned sector_size;
	unsigned max_indirect;
	unsigned readonly : 1;
	unsigned flush : 1;
	unsigned barrier : 1;
	unsigned discard : 1;
	unsigned discard_secure : 1;
};

/*
 * blkback_parse_req() - validate a request already copied out of the
 * ring.  Returns 0 (for an indirect request the segments still have to be
 * fetched and passed to blkback_parse_indirect()), or -errno to answer
 * with blkback_rsp_status(-errno): -EINVAL a malformed request,
 * -EOPNOTSUPP an operation not offered, -EROFS a write to a read-only
 * disk, -ERANGE past the end of the disk.  @out->id and ->operation are
 * always filled so that the error can be answered.
 */
int blkback_parse_req(const struct blkback_limits *lim,
		      const struct blkif_request *req,
		      struct blkback_parsed *out);

/*
 * blkback_parse_indirect() - take @out->nseg segments from @segs (copied
 * out of the indirect pages by the caller), validate them and the sector
 * range they cover.  Returns 0 or -errno as blkback_parse_req().
 */
int blkback_parse_indirect(const struct blkback_limits *lim,
			   const struct blkif_request_segment *segs,
			   struct blkback_parsed *out);

/* blkback_rsp_status() - the one table: 0/-errno -> BLKIF_RSP_*. */
int16_t blkback_rsp_status(int err);

/* ------------------------------------------------------------------ */
/* Backing store and I/O engine                                        */
/* ------------------------------------------------------------------ */

/**
 * struct blkback_store - the file or block device behind the disk.
 * @fd:          opened buffered (always valid while open).
 * @dfd:         opened O_DIRECT, or -1 when the file system refuses it.
 * @is_bdev:     a block device (discard by BLKDISCARD, not fallocate).
 * @readonly:    opened read-only (mode "r").
 * @size:        bytes.
 * @sector_size: logical sector size (512, or the device's).
 * @phys_sector_size: physical sector size.
 * @dio_align:   offset, length and memory alignment O_DIRECT needs.
 * @discard:     discard may work (punch hole / BLKDISCARD).
 * @discard_secure: a writable block device that takes BLKSECDISCARD
 *               (blkback_store_secure_erase()); never for a file.
 * @discard_granularity: bytes.
 * @direct_ok:   cleared (atomically, any queue) when O_DIRECT turned out
 *               not to work for some memory (EINVAL/EFAULT): buffered
 *               from then on.
 * @inline_io:   the store lives in memory (a tmpfs or ramfs file): every
 *               operation runs synchronously in the ring pass instead of
 *               through io_uring (see io.c, "Memory-backed stores").
 */
struct blkback_store {
	int fd;
	int dfd;
	unsigned is_bdev : 1;
	unsigned readonly : 1;
	unsigned discard : 1;
	unsigned discard_secure : 1;
	unsigned inline_io : 1;
	uint64_t size;
	unsigned sector_size;
	unsigned phys_sector_size;
	unsigned dio_align;
	unsigned discard_granularity;
	atomic_int direct_ok;
};

/*
 * blkback_store_open() - open @path (a file or block device), read-only
 * when @readonly.  Returns 0 or -errno; nothing is open on failure.
 */
int blkback_store_open(struct blkback_store *st, const char *path,
		       int readonly);
/*
 * blkback_store_secure_erase() - whether the block device @fd (opened
 * for writing) takes BLKSECDISCARD: 1 or 0.  Asks the kernel with a
 * range that cannot be erased (start not sector-aligned): a device
 * without secure erase answers EOPNOTSUPP before the range is looked at
 * (Linux 5.19 on; older kernels check alignment first and so report 1
 * for any device that discards, whose secure discards then get
 * BLKIF_RSP_EOPNOTSUPP).  Nothing is erased.
 */
int blkback_store_secure_erase(int fd);
/* blkback_store_close() - close what is open (fds of -1 are skipped). */
void blkback_store_close(struct blkback_store *st);

/* ------------------------------------------------------------------ */
/* Requests in flight                                                  */
/* ------------------------------------------------------------------ */

/** Where one segment's data lives while the I/O runs. */
enum blkback_segsrc {
	BLKBACK_SEG_BOUNCE = 0, /* our bounce buffer; moved by grant copy */
	BLKBACK_SEG_PGRANT = 1, /* a persistent mapping (cache entry) */
	BLKBACK_SEG_MAPPED = 2, /* the request's temporary mapping */
};

struct blkback_pgrant;

/**
 * struct blkback_req - one request between the ring and its response.
 * @p:          the parsed request.
 * @ind:        segments copied out of the indirect pages.
 * @id_next:    in-flight id chain (slot + 1, 0 ends).
 * @next_free:  free-list link.
 * @slot:       index in queue->reqs.
 * @cqes:       completions still expected from io_uring.
 * @err:        first error (0 or -errno), the response's status.
 * @bounce:     page-aligned bounce buffer, @bounce_cap bytes (kept
 *              across uses of the slot).
 * @map_addr:   the temporary mappings of the segments (SEG_MAPPED), in
 *              chunks of BLKBACK_MAP_CHUNK segments; @nmaps chunks.
 * @map_ro:     they were mapped read-only.
 * @src:        enum blkback_segsrc per segment.
 * @pg:         the cache entry per SEG_PGRANT segment.
 * @iov:        the I/O vector; @niov entries; @len bytes in total.
 * @retried:    already retried buffered after an O_DIRECT failure;
 *              @retry: a retry is due once every completion is in;
 *              @buffered: this submission went to the buffered fd.
 */
struct blkback_req {
	struct blkback_parsed p;
	struct blkif_request_segment ind[BLKBACK_MAX_SEGS];
	struct blkback_req *next_free;
	uint16_t id_next;
	unsigned slot;
	unsigned cqes;
	int err;
	void *bounce;
	size_t bounce_cap;
	void *map_addr[BLKBACK_MAX_SEGS / BLKBACK_MAP_CHUNK];
	unsigned nmaps;
	unsigned map_ro : 1;
	unsigned retried : 1;
	unsigned retry : 1;
	unsigned buffered : 1;
	uint8_t src[BLKBACK_MAX_SEGS];
	struct blkback_pgrant *pg[BLKBACK_MAX_SEGS];
	struct iovec iov[BLKBACK_MAX_SEGS];
	unsigned niov;
	size_t len;
};

/* ------------------------------------------------------------------ */
/* Persistent grants (persist.c)                                       */
/* ------------------------------------------------------------------ */

/**
 * struct blkback_pgrant - one persistently mapped page.
 * @gref:      the frontend's grant ref (cache key).
 * @addr:      our mapping (read-write, one page).
 * @users:     requests in flight using it (never evicted while > 0).
 * @last_used: CLOCK_MONOTONIC ns of the last use.
 * @hnext:     hash chain; @lru_prev/@lru_next: LRU list, most recent at
 *             the head.
 */
struct blkback_pgrant {
	uint32_t gref;
	void *addr;
	unsigned users;
	uint64_t last_used;
	struct blkback_pgrant *hnext;
	struct blkback_pgrant *lru_prev, *lru_next;
};

/**
 * struct blkback_pgcache - a queue's persistent grants.
 * @count:  entries; at most @max.
 * @hash:   @nbuckets chains.
 * @lru_head, @lru_tail: most and least recently used.
 * @hits, @misses, @full, @unmap_errors: statistics (a failed unmap is a
 *          local bug: the mapping stays, nothing else can be done).
 */
struct blkback_pgcache {
	unsigned count, max, nbuckets;
	struct blkback_pgrant **hash;
	struct blkback_pgrant *lru_head, *lru_tail;
	uint64_t hits, misses, full;
	unsigned unmap_errors;
};

struct blkback_dev;

int blkback_pgcache_init(struct blkback_pgcache *c, unsigned max);
/*
 * blkback_pgcache_get() - the mapping of @gref (mapped read-write now if
 * not cached), with a user reference taken.  Returns the entry, or NULL
 * when the cache is full of entries in use (*err = -ENOSPC: use a
 * non-persistent path) or the map failed (*err = -errno from the map).
 */
struct blkback_pgrant *blkback_pgcache_get(struct blkback_dev *dev,
					   struct blkback_pgcache *c,
					   uint32_t gref, uint64_t now,
					   int *err);
void blkback_pgcache_put(struct blkback_pgcache *c, struct blkback_pgrant *g);
/* blkback_pgcache_purge() - unmap entries unused since @now - @idle_ns. */
unsigned blkback_pgcache_purge(struct blkback_dev *dev,
			       struct blkback_pgcache *c, uint64_t now,
			       uint64_t idle_ns);
/* blkback_pgcache_destroy() - unmap everything (no users may be left). */
void blkback_pgcache_destroy(struct blkback_dev *dev,
			     struct blkback_pgcache *c);

/* ------------------------------------------------------------------ */
/* Queues and the device                                               */
/* ------------------------------------------------------------------ */

/**
 * struct blkback_queue - one ring, its event channel and its thread.
 * @dev:       the device.
 * @index:     queue number.
 * @order:     ring-page-order; @refs: the ring's grant refs.
 * @sring:     our mapping of the shared ring; @ring: the ring object.
 * @evtchn:    this queue's event-channel handle; @port: the local port.
 * @remote_port: the frontend's port (event-channel node).
 * @uring:     this queue's io_uring; @efd: its completion eventfd.
 * @reqs:      one slot per ring entry; @free: free slots.
 * @inflight:  requests taken off the ring and not yet answered.
 * @id_bucket: hash of in-flight ids: BLKBACK_ID_BUCKETS chains of
 *             slot + 1 (0 ends a chain), linked by blkback_req.id_next,
 *             to refuse a reused id.
 * @pgc:       persistent grants (when the frontend offered them).
 * @copy:      grant-copy batch; @ncopy used, @copy_cap room.
 * @drain_next: the next submission waits for all earlier ones (after a
 *             barrier).
 * @stop:      set by the main thread to end the thread.
 * @failed:    a protocol violation was seen; the queue stops consuming.
 * @thread, @thread_started.
 * @st_reqs, @st_errors, @st_read, @st_written, @st_pgrants: counters for
 *             `duet status`, written by the queue thread, read by the
 *             main thread (relaxed atomics: independent counters).
 */
struct blkback_queue {
	struct blkback_dev *dev;
	unsigned index;
	unsigned order;
	uint32_t refs[DUET_XENBUS_MAX_RING_PAGES];
	void *sring;
	struct duet_ring *ring;
	struct duet_evtchn *evtchn;
	int port;
	unsigned remote_port;
	struct io_uring uring;
	int uring_ok;
	int efd;
	struct blkback_req *reqs;
	unsigned nreqs;
	struct blkback_req *free;
	unsigned inflight;
	uint16_t *id_bucket;
	struct blkback_pgcache pgc;
	struct duet_gnt_copy_seg *copy;
	struct blkback_req **copy_req;
	unsigned ncopy, copy_cap;
	int drain_next;
	atomic_int stop;
	atomic_int failed;
	pthread_t thread;
	int thread_started;
	uint64_t last_purge;
	atomic_ullong st_reqs, st_errors, st_read, st_written, st_pgrants;
};

/**
 * struct blkback_dev - one served device.
 * @ctx:        what the daemon (or a test) gave us.
 * @xb:         our XenBus end.
 * @store:      the backing store.
 * @lim:        what requests are checked against.
 * @persistent: the frontend offered feature-persistent.
 * @map_threshold: segments from which a non-persistent request is mapped
 *              rather than copied (see BLKBACK_MAP_THRESHOLD_XEN).
 * @rtype:      the ring type of the frontend's ABI (duet/blkif.h).
 * @fe_domid:   the frontend's domain.
 * @nqueues, @q: the connected queues.
 * @plat_lock:  serialises grant calls on ctx->platform.
 * @fail_fd:    eventfd a queue writes to report a violation; @fail_msg
 *              the first message (under @fail_lock).
 * @nr_queues_max: multi-queue-max-queues advertised.
 * @pgrant_idle_ns: persistent grants unused this long are unmapped
 *              (persistent-grant-unused-seconds, read at connect).
 */
struct blkback_dev {
	const struct duet_backend_ctx *ctx;
	struct duet_xenbus_dev *xb;
	struct blkback_store store;
	struct blkback_limits lim;
	int persistent;
	unsigned map_threshold;
	enum duet_ring_type rtype;
	unsigned fe_domid;
	unsigned nqueues;
	struct blkback_queue *q;
	pthread_mutex_t plat_lock;
	int fail_fd;
	pthread_mutex_t fail_lock;
	char fail_msg[160];
	unsigned unmap_errors;
	unsigned nr_queues_max;
	uint64_t pgrant_idle_ns;
};

/* ring.c */
/*
 * blkback_queue_thread() - a queue's thread: consume requests, run them,
 * answer them, until q->stop.  Waits for every in-flight I/O before
 * returning.
 */
void *blkback_queue_thread(void *arg);
/*
 * blkback_queue_fail() - report a protocol violation of this queue's
 * frontend to the main thread (once) and stop consuming.
 */
void blkback_queue_fail(struct blkback_queue *q, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* io.c */
/* blkback_io_setup() - the queue's io_uring and eventfd. 0 or -errno. */
int blkback_io_setup(struct blkback_queue *q);
void blkback_io_teardown(struct blkback_queue *q);
/*
 * blkback_io_prep() - queue the submissions of @r (whose data is ready
 * for writes), or on an inline store run them at once.  Returns 0 with
 * r->cqes completions to wait for (0: finished, r->err set), or -errno
 * when the request could not be queued (then the caller answers it).
 */
int blkback_io_prep(struct blkback_queue *q, struct blkback_req *r);
/*
 * blkback_io_complete() - handle one completion; returns the request when
 * it is now finished (r->err set), else NULL.
 */
struct blkback_req *blkback_io_complete(struct blkback_queue *q,
					struct io_uring_cqe *cqe);

/* Monotonic clock in ns. */
uint64_t blkback_now(void);

#endif /* DUET_BLKBACK_COMMON_H */

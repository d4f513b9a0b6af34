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
 *   engine.h   the storage-engine interface (which engines, which file)
 *   io.c       the backing store (file or block device): the io_uring
 *              and inline engines
 *   engine-nbd.c  the NBD engine (libnbd)
 *   engine-rbd.c  the RBD engine (librbd)
 *   engine-lib.c  loading those libraries at run time (engine-lib.h)
 *   persist.c  persistent grants: a per-queue bounded LRU of mappings
 *   dma.c      the I/O through an emulated block controller behind a DMA
 *              backend (backend node "dma" or `duet backend --dma`)
 *
 * Threads: the instance's main thread owns xenstore and the XenBus state;
 * each queue runs its own thread that owns its ring, its event channel
 * handle, its engine state (an io_uring, an NBD connection) and its
 * persistent grants.  The platform handle is
 * shared and not thread-safe, so grant calls (copy, map, unmap) take
 * dev->plat_lock.  A queue never touches xenstore: a protocol violation
 * it sees is handed to the main thread (bb_queue_broken()), which calls
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

#include "backends/blkback/engine.h"

/* ------------------------------------------------------------------ */
/* Limits (what this backend advertises)                               */
/* ------------------------------------------------------------------ */

/** feature-max-indirect-segments: Linux's blkback allows 256. */
#define BB_MAX_INDIRECT_SEGS 256u
/** Segments in one indirect page (8-byte blkif_request_segment). */
#define BB_SEGS_PER_INDIRECT_PAGE \
	(DUET_PAGE_SIZE / sizeof(struct blkif_request_segment))
/** Indirect pages needed for BB_MAX_INDIRECT_SEGS. */
#define BB_MAX_INDIRECT_PAGES \
	((BB_MAX_INDIRECT_SEGS + BB_SEGS_PER_INDIRECT_PAGE - 1) / \
	 BB_SEGS_PER_INDIRECT_PAGE)
/** Segments a request may carry at all. */
#define BB_MAX_SEGS BB_MAX_INDIRECT_SEGS
/** multi-queue-max-queues: at most this many, default the CPU count
 *  but at least 4 (Linux: the number of online CPUs). */
#define BB_MAX_QUEUES 16u
#define BB_MIN_ADVERTISED_QUEUES 4u
/** Persistent grants per queue (Linux: xen_blkif_max_pgrants = 1056). */
#define BB_MAX_PGRANTS 1056u
/**
 * Persistent grants unused this many seconds are unmapped: the default
 * of the backend node persistent-grant-unused-seconds (1..86400; Linux's
 * xen-blkback module parameter of the same name, 60).  The queue looks
 * once a second, so a grant goes between N and N + 1 s after its last use.
 */
#define BB_PGRANT_UNUSED_S 60u
#define BB_PGRANT_UNUSED_MAX_S 86400u
/**
 * Data movement for a request without persistent grants: grant copy
 * through a bounce buffer below a threshold of segments, a temporary
 * grant map (zero copy; map and unmap calls of BB_MAP_CHUNK pages)
 * from it on.  The threshold is per platform:
 *   sim  never map (BB_MAP_NEVER): tests/bench/blkback.c measured
 *        1 MiB reads at 2000-2700 MB/s by copy and 700-1050 MB/s by map
 *        (a map costs a daemon round trip plus mmap/munmap and page
 *        faults; a copy one round trip per 64 KiB), and smaller requests
 *        favour copy even more;
 *   xen  map from 64 segments (256 KiB) on, where Linux's blkback maps
 *        everything and QEMU's qdisk copies everything.  Only frontends
 *        without persistent grants get here (Linux's blkfront uses them),
 *        and make xen-bench runs Linux's blkfront, so this threshold is a
 *        choice, not a measurement.
 * bb_map_threshold_override, when not 0, replaces both (tests).
 */
#define BB_MAP_THRESHOLD_XEN 64u
#define BB_MAP_NEVER (BB_MAX_SEGS + 1u)
extern unsigned bb_map_threshold_override;
/** Buckets of the in-flight id hash (a power of two). */
#define BB_ID_BUCKETS 1024u
/** Segments per temporary map call (platform.h: up to 65536 per call). */
#define BB_MAP_CHUNK 64u
/** Requests taken off the ring in one pass before submitting. */
#define BB_PASS_MAX 64u
/**
 * Requests per pass on a memory-backed store (the inline engine), whose
 * requests finish within the pass: the first answers go out (and the
 * frontend refills the ring) while the rest of a deep queue is still being
 * copied, instead of both ends taking turns at whole batches.
 */
#define BB_PASS_INLINE 16u

/* ------------------------------------------------------------------ */
/* Parsed requests                                                     */
/* ------------------------------------------------------------------ */

/** What a request asks for, after validation. */
enum bb_kind {
	BB_READ = 0,
	BB_WRITE = 1,
	BB_FLUSH = 2,   /* BLKIF_OP_FLUSH_DISKCACHE; may carry data */
	BB_BARRIER = 3, /* BLKIF_OP_WRITE_BARRIER; may carry data */
	BB_DISCARD = 4,
};

/** One data segment: a page of the frontend, 512-byte sectors in it. */
struct bb_seg {
	uint32_t gref;
	uint8_t first_sect; /* 0..7 */
	uint8_t last_sect;  /* first_sect..7 */
};

/**
 * struct bb_parsed - one request, copied and validated.
 * @id:           the frontend's id, echoed in the response.
 * @operation:    the ring opcode (BLKIF_OP_*), echoed in the response.
 * @kind:         enum bb_kind.
 * @write_data:   1 when data goes to the disk (WRITE, or FLUSH/BARRIER
 *                with segments).
 * @discard_secure: BLKIF_DISCARD_SECURE was asked (and is offered).
 * @nseg:         data segments (0 for a bare flush, barrier, discard).
 * @nindirect:    indirect pages (0 for a direct request).
 * @sector:       first 512-byte sector on the disk.
 * @nr_sectors:   512-byte sectors covered (sum of segments, or discard's).
 * @indirect:     the indirect pages' grant refs.
 * @seg:          the segments (for indirect requests filled by
 *                bb_parse_indirect()).
 */
struct bb_parsed {
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
	struct bb_seg seg[BB_MAX_SEGS];
};

/**
 * struct bb_limits - what requests are checked against.
 * @sectors:      disk size in 512-byte sectors.
 * @sector_size:  logical sector size (512 or 4096): requests must be
 *                aligned to it, like Linux's "Misaligned I/O request".
 * @max_indirect: feature-max-indirect-segments offered (0: no indirect).
 * @readonly:     mode "r": writes, barriers with data, discards refused.
 * @flush, @barrier, @discard, @discard_secure: features offered.
 */
struct bb_limits {
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
 * bb_parse_req() - validate a request already copied out of the
 * ring.  Returns 0 (for an indirect request the segments still have to be
 * fetched and passed to bb_parse_indirect()), or -errno to answer
 * with bb_rsp_status(-errno): -EINVAL a malformed request,
 * -EOPNOTSUPP an operation not offered, -EROFS a write to a read-only
 * disk, -ERANGE past the end of the disk.  @out->id and ->operation are
 * always filled so that the error can be answered.
 */
int bb_parse_req(const struct bb_limits *lim,
		      const struct blkif_request *req,
		      struct bb_parsed *out);

/*
 * bb_parse_indirect() - take @out->nseg segments from @segs (copied
 * out of the indirect pages by the caller), validate them and the sector
 * range they cover.  Returns 0 or -errno as bb_parse_req().
 */
int bb_parse_indirect(const struct bb_limits *lim,
			   const struct blkif_request_segment *segs,
			   struct bb_parsed *out);

/* bb_rsp_status() - the one table: 0/-errno -> BLKIF_RSP_*. */
int16_t bb_rsp_status(int err);

/* ------------------------------------------------------------------ */
/* Backing store and I/O engine                                        */
/* ------------------------------------------------------------------ */

/**
 * struct bb_store - the file or block device behind the disk.
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
 *               (bb_store_secure_erase()); never for a file.
 * @discard_granularity: bytes.
 * @direct_ok:   cleared (atomically, any queue) when O_DIRECT turned out
 *               not to work for some memory (EINVAL/EFAULT): buffered
 *               from then on.
 * @inline_io:   the store lives in memory (a tmpfs or ramfs file): every
 *               operation runs synchronously in the ring pass instead of
 *               through io_uring (see io.c, "Memory-backed stores").
 */
struct bb_store {
	int fd;
	int dfd;
	unsigned is_bdev : 1;
	unsigned readonly : 1;
	unsigned discard : 1;
	unsigned discard_secure : 1;
	unsigned inline_io : 1;
	uint64_t size;
	/* An inline store's data mapped (MAP_SHARED, st->size bytes), or
	 * NULL: io.c, "Memory-backed stores". */
	uint8_t *map;
	unsigned sector_size;
	unsigned phys_sector_size;
	unsigned dio_align;
	unsigned discard_granularity;
	atomic_int direct_ok;
};

/*
 * bb_store_open() - open @path (a file or block device), read-only
 * when @readonly.  Returns 0 or -errno; nothing is open on failure.
 */
int bb_store_open(struct bb_store *st, const char *path,
		       int readonly);
/*
 * bb_store_secure_erase() - whether the block device @fd (opened
 * for writing) takes BLKSECDISCARD: 1 or 0.  Asks the kernel with a
 * range that cannot be erased (start not sector-aligned): a device
 * without secure erase answers EOPNOTSUPP before the range is looked at
 * (Linux 5.19 on; older kernels check alignment first and so report 1
 * for any device that discards, whose secure discards then get
 * BLKIF_RSP_EOPNOTSUPP).  Nothing is erased.
 */
int bb_store_secure_erase(int fd);
/* bb_store_close() - close what is open (fds of -1 are skipped). */
void bb_store_close(struct bb_store *st);

/* ------------------------------------------------------------------ */
/* Requests in flight                                                  */
/* ------------------------------------------------------------------ */

/** Where one segment's data lives while the I/O runs. */
enum bb_segsrc {
	BB_SEG_BOUNCE = 0, /* our bounce buffer; moved by grant copy */
	BB_SEG_PGRANT = 1, /* a persistent mapping (cache entry) */
	BB_SEG_MAPPED = 2, /* the request's temporary mapping */
	BB_SEG_DMA = 3,    /* moved by the DMA device (dma.c) */
};

struct bb_pgrant;
struct duet_dma_glue_map;

/**
 * struct bb_req - one request between the ring and its response.
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
 *              chunks of BB_MAP_CHUNK segments; @nmaps chunks.
 * @map_ro:     they were mapped read-only.
 * @src:        enum bb_segsrc per segment.
 * @pg:         the cache entry per SEG_PGRANT segment.
 * @iov:        the I/O vector; @niov entries; @len bytes in total.
 * @eng_next, @eng_t0, @eng_stage, @eng_flags, @eng_err, @eng_cmds: the
 *              engine's (engine.h): a list link, when the request was
 *              first submitted (ns), a step of a multi-step request,
 *              flags, the error so far, commands in flight.
 * @retried:    already retried buffered after an O_DIRECT failure;
 *              @retry: a retry is due once every completion is in;
 *              @buffered: this submission went to the buffered fd.
 */
struct bb_req {
	struct bb_parsed p;
	struct blkif_request_segment ind[BB_MAX_SEGS];
	struct bb_req *next_free;
	uint16_t id_next;
	unsigned slot;
	unsigned cqes;
	int err;
	void *bounce;
	size_t bounce_cap;
	void *map_addr[BB_MAX_SEGS / BB_MAP_CHUNK];
	unsigned nmaps;
	unsigned map_ro : 1;
	unsigned retried : 1;
	unsigned retry : 1;
	unsigned buffered : 1;
	uint8_t src[BB_MAX_SEGS];
	struct bb_pgrant *pg[BB_MAX_SEGS];
	struct iovec iov[BB_MAX_SEGS];
	unsigned niov;
	size_t len;
	struct bb_req *eng_next;
	uint64_t eng_t0;
	uint8_t eng_stage;
	uint8_t eng_flags;
	uint16_t eng_cmds;
	int eng_err;
};

/* ------------------------------------------------------------------ */
/* Persistent grants (persist.c)                                       */
/* ------------------------------------------------------------------ */

/**
 * struct bb_pgrant - one persistently mapped page.
 * @gref:      the frontend's grant ref (cache key).
 * @addr:      our mapping (read-write, one page).
 * @users:     requests in flight using it (never evicted while > 0).
 * @last_used: CLOCK_MONOTONIC ns of the last use.
 * @dma:       the DMA device's mapping of it (dma.c), kept as long as the
 *             entry, or NULL; unmapped before @addr is.
 * @hnext:     hash chain; @lru_prev/@lru_next: LRU list, most recent at
 *             the head.
 */
struct bb_pgrant {
	uint32_t gref;
	void *addr;
	unsigned users;
	uint64_t last_used;
	struct duet_dma_glue_map *dma;
	struct bb_pgrant *hnext;
	struct bb_pgrant *lru_prev, *lru_next;
};

/**
 * struct bb_pgcache - a queue's persistent grants.
 * @count:  entries; at most @max.
 * @hash:   @nbuckets chains.
 * @lru_head, @lru_tail: most and least recently used.
 * @hits, @misses, @full, @unmap_errors: statistics (a failed unmap is a
 *          local bug: the mapping stays, nothing else can be done).
 */
struct bb_pgcache {
	unsigned count, max, nbuckets;
	struct bb_pgrant **hash;
	struct bb_pgrant *lru_head, *lru_tail;
	uint64_t hits, misses, full;
	unsigned unmap_errors;
};

struct bb_dev;

int bb_pgcache_init(struct bb_pgcache *c, unsigned max);
/*
 * bb_pgcache_get() - the mapping of @gref (mapped read-write now if
 * not cached), with a user reference taken.  Returns the entry, or NULL
 * when the cache is full of entries in use (*err = -ENOSPC: use a
 * non-persistent path) or the map failed (*err = -errno from the map).
 */
struct bb_pgrant *bb_pgcache_get(struct bb_dev *dev,
					   struct bb_pgcache *c,
					   uint32_t gref, uint64_t now,
					   int *err);
void bb_pgcache_put(struct bb_pgcache *c, struct bb_pgrant *g);
/* bb_pgcache_purge() - unmap entries unused since @now - @idle_ns. */
unsigned bb_pgcache_purge(struct bb_dev *dev,
			       struct bb_pgcache *c, uint64_t now,
			       uint64_t idle_ns);
/* bb_pgcache_destroy() - unmap everything (no users may be left). */
void bb_pgcache_destroy(struct bb_dev *dev,
			     struct bb_pgcache *c);

/* ------------------------------------------------------------------ */
/* Queues and the device                                               */
/* ------------------------------------------------------------------ */

/**
 * struct bb_queue - one ring, its event channel and its thread.
 * @dev:       the device.
 * @index:     queue number.
 * @order:     ring-page-order; @refs: the ring's grant refs.
 * @sring:     our mapping of the shared ring; @ring: the ring object.
 * @evtchn:    this queue's event-channel handle; @port: the local port.
 * @remote_port: the frontend's port (event-channel node).
 * @uring:     this queue's io_uring (engine uring).
 * @efd:       the queue's wake-up eventfd: the main thread writes it to
 *             stop the queue, io_uring signals completions on it.
 * @eng_priv:  the engine's per-queue state (engine.h); @eng_open: its
 *             queue_open() succeeded.
 * @reqs:      one slot per ring entry; @free: free slots.
 * @inflight:  requests taken off the ring and not yet answered.
 * @id_bucket: hash of in-flight ids: BB_ID_BUCKETS chains of
 *             slot + 1 (0 ends a chain), linked by bb_req.id_next,
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
struct bb_queue {
	struct bb_dev *dev;
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
	void *eng_priv;
	int eng_open;
	struct bb_req *reqs;
	unsigned nreqs;
	struct bb_req *free;
	unsigned inflight;
	uint16_t *id_bucket;
	struct bb_pgcache pgc;
	struct duet_gnt_copy_seg *copy;
	struct bb_req **copy_req;
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
 * struct bb_dev - one served device.
 * @ctx:        what the daemon (or a test) gave us.
 * @xb:         our XenBus end.
 * @store:      the backing store (engines uring and inline).
 * @eng:        the storage engine (engine.h); @eng_priv its state;
 *              @caps what the open storage offers.
 * @lim:        what requests are checked against.
 * @persistent: the frontend offered feature-persistent.
 * @map_threshold: segments from which a non-persistent request is mapped
 *              rather than copied (see BB_MAP_THRESHOLD_XEN).
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
struct bb_dev {
	const struct duet_backend_ctx *ctx;
	struct duet_xenbus_dev *xb;
	struct bb_store store;
	const struct bb_engine_ops *eng;
	void *eng_priv;
	struct bb_engine_caps caps;
	struct bb_limits lim;
	int persistent;
	unsigned map_threshold;
	enum duet_ring_type rtype;
	unsigned fe_domid;
	unsigned nqueues;
	struct bb_queue *q;
	pthread_mutex_t plat_lock;
	int fail_fd;
	pthread_mutex_t fail_lock;
	char fail_msg[160];
	unsigned unmap_errors;
	unsigned nr_queues_max;
	uint64_t pgrant_idle_ns;
	struct bb_dma *dma;	/* NULL: io.c's engine does the I/O */
	int opened;	/* the storage is open */
	int connected;	/* the queues' rings are mapped */
};

/* xenbus.c (main thread) */
/*
 * bb_broken() - the frontend broke the protocol: log (rate-limited) and
 * move to Closing.  Queue threads use bb_queue_broken() instead.
 */
void bb_broken(struct bb_dev *dev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ring.c */
/*
 * bb_queue_thread() - a queue's thread: consume requests, run them,
 * answer them, until q->stop.  Waits for every in-flight I/O before
 * returning.
 */
void *bb_queue_thread(void *arg);
/*
 * bb_queue_broken() - report a protocol violation of this queue's
 * frontend to the main thread (once) and stop consuming.
 */
void bb_queue_broken(struct bb_queue *q, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* dma.c */
struct bb_dma;
/*
 * bb_dma_name() - the DMA backend the device should use: the backend
 * node "dma", else ctx->dma (then written to the node).  Returns 1 with
 * @name set, 0 for none, or -errno.  Main thread.
 */
int bb_dma_name(struct bb_dev *dev, char *name, size_t len);
/*
 * bb_dma_open() - set up dev->dma for DMA backend @name over the open
 * store.  0 or -errno (-ENOENT: no such backend; logged).  Main thread,
 * before any queue runs.
 */
int bb_dma_open(struct bb_dev *dev, const char *name);
/* bb_dma_close() - undo it; no queue may be running.  NULL dma is fine. */
void bb_dma_close(struct bb_dev *dev);
/*
 * bb_dma_run() - carry out validated request @r through the device,
 * synchronously (queue thread).  Returns 0 or -errno, the request's
 * status; sets r->len and marks its segments BB_SEG_DMA.
 */
int bb_dma_run(struct bb_queue *q, struct bb_req *r);
/*
 * bb_dma_pgrant_drop() - unmap the device's mapping of cache entry @g
 * (persist.c, before it unmaps the entry).  Any thread that owns @g.
 */
void bb_dma_pgrant_drop(struct bb_dev *dev, struct bb_pgrant *g);
/* bb_dma_stats() - append the dma-* counters to @st at *@n (at most
 * BB_DMA_NSTATS). */
void bb_dma_stats(struct bb_dev *dev, struct duet_backend_stat *st,
		  unsigned *n);
#define BB_DMA_NSTATS 7u

/* Monotonic clock in ns. */
uint64_t bb_now(void);

#endif /* DUET_BLKBACK_COMMON_H */

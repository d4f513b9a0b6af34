/* SPDX-License-Identifier: MIT */
/*
 * duet/blkfront.h - a userspace Xen block frontend (the blkif protocol of
 * xen/io/blkif.h, wire-compatible with Linux's xen-blkback and duet's
 * blkback).
 *
 * A struct duet_blkfront is one virtual disk seen from the frontend
 * domain.  It negotiates what Linux's xen-blkfront negotiates, taking the
 * most the backend offers within the limits given in the options:
 * multi-page rings, multi-queue, indirect segments, persistent grants,
 * flush/barrier, discard, sector sizes, protocol x86_64-abi and the
 * "trusted" flag.  It never trusts the backend: every response is copied
 * once and checked (id, operation, status); a violation fails the I/O in
 * flight and closes the device.
 *
 * When the backend goes away and comes back (its process was killed and
 * restarted), the device reconnects by itself: every request without a
 * response is kept and issued again on the new rings, split again when
 * the new limits are smaller.  An acknowledged write is never lost.
 *
 * Two ways to do I/O:
 *   - asynchronous: duet_blkfront_submit() queues an I/O and returns; its
 *     callback runs from duet_blkfront_process(), which the embedder
 *     calls when duet_blkfront_fd() is readable (or from
 *     duet_blkfront_wait());
 *   - synchronous: duet_blkfront_pread() etc. block until done.
 * Both are thread-safe: any number of threads may submit and wait at the
 * same time (one of the waiting threads drives the device for the
 * others).  Callbacks run without the device's lock held and may submit.
 *
 * Offsets and lengths are in bytes and must be multiples of the sector
 * size (duet_blkfront_sector_size()); otherwise -EINVAL.
 */
#ifndef DUET_BLKFRONT_H
#define DUET_BLKFRONT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct duet_platform;
struct duet_xs;
struct duet_blkfront;

/** Option flags (struct duet_blkfront_opts.flags). */
#define DUET_BLKFRONT_NO_PERSISTENT 0x1u /* never use persistent grants */
#define DUET_BLKFRONT_NO_INDIRECT   0x2u /* never use indirect requests */
#define DUET_BLKFRONT_UNTRUSTED     0x4u /* as if <fe>/trusted were 0 */
#define DUET_BLKFRONT_NO_RECONNECT  0x8u /* fail I/O when the backend goes */
#define DUET_BLKFRONT_READ_ONLY     0x10u /* refuse writes and discards */

/**
 * struct duet_blkfront_opts - the frontend's own limits.
 * @max_ring_order: largest ring-page-order to use (0..4).
 * @max_queues:     most queues to use (1..16).
 * @max_indirect:   most segments of an indirect request (12..4096).
 * @flags:          DUET_BLKFRONT_* bits.
 * @timeout_ms:     how long duet_blkfront_open() waits for the backend
 *                  to connect (< 0: forever).
 * duet_blkfront_opts_init() fills the defaults: 4, 4, 256, 0, 30000.
 */
struct duet_blkfront_opts {
	unsigned max_ring_order;
	unsigned max_queues;
	unsigned max_indirect;
	unsigned flags;
	int timeout_ms;
};

/** duet_blkfront_opts_init() - the default options. */
void duet_blkfront_opts_init(struct duet_blkfront_opts *o);

/**
 * struct duet_blkfront_info - what was negotiated (current connection).
 * @size:          bytes ("sectors" x 512).
 * @sector_size:   logical sector size ("sector-size", default 512).
 * @physical_sector_size: "physical-sector-size" (default sector_size).
 * @vdisk_info:    the backend's "info" bits (VDISK_CDROM 1, VDISK_REMOVABLE
 *                 2, VDISK_READONLY 4).
 * @read_only:     writes are refused (info bit, mode "r", or the option).
 * @trusted:       0 when the backend is not trusted (bounce buffers only).
 * @queues:        rings in use.
 * @ring_order:    ring-page-order of each ring.
 * @ring_entries:  slots of each ring.
 * @max_segments:  segments per request (11, or the indirect maximum).
 * @indirect:      indirect requests in use.
 * @persistent:    persistent grants in use.
 * @flush:         flush-cache offered; @barrier: write barriers offered.
 * @discard:       discard offered; @discard_granularity and
 *                 @discard_alignment in bytes, @discard_secure.
 * @connects:      how many times the device connected (1 + reconnects).
 * @connected:     1 while connected to a backend.
 */
struct duet_blkfront_info {
	uint64_t size;
	unsigned sector_size;
	unsigned physical_sector_size;
	unsigned vdisk_info;
	int read_only;
	int trusted;
	unsigned queues;
	unsigned ring_order;
	unsigned ring_entries;
	unsigned max_segments;
	int indirect;
	int persistent;
	int flush;
	int barrier;
	int discard;
	unsigned discard_granularity;
	unsigned discard_alignment;
	int discard_secure;
	unsigned connects;
	int connected;
};

/**
 * duet_blkfront_open() - take the frontend end of a vbd and connect it.
 * @p:      the platform (not owned; must outlive the device).
 * @fe_dir: the frontend's directory, "/local/domain/<domid>/device/vbd/
 *          <devid>" (see duet_blkfront_dir()).
 * @opts:   limits, or NULL for the defaults.
 * @out:    receives the device.
 *
 * Opens its own xenstore connection and event-channel handle, then blocks
 * until the backend is connected (or opts->timeout_ms passed: -ETIMEDOUT,
 * or the device closed: -ENODEV).  Returns 0 or -errno; nothing is left
 * behind on failure (our state node is left Closed).
 */
int duet_blkfront_open(struct duet_platform *p, const char *fe_dir,
		       const struct duet_blkfront_opts *opts,
		       struct duet_blkfront **out);

/**
 * duet_blkfront_dir() - "/local/domain/<domid>/device/vbd/<devid>" into
 * @buf.  Returns the length or -E2BIG.
 */
int duet_blkfront_dir(char *buf, size_t len, unsigned domid, unsigned devid);

/**
 * duet_blkfront_close() - close the device: waits (up to 5 s) for I/O in
 * flight, moves XenBus to Closed, releases rings and grants.  I/O still
 * queued completes with -ESHUTDOWN.  NULL is ignored.
 */
void duet_blkfront_close(struct duet_blkfront *bf);

/** duet_blkfront_size() - the disk's size in bytes. */
uint64_t duet_blkfront_size(struct duet_blkfront *bf);

/** duet_blkfront_sector_size() - the logical sector size in bytes. */
unsigned duet_blkfront_sector_size(struct duet_blkfront *bf);

/** duet_blkfront_get_info() - copy what was negotiated into @out. */
void duet_blkfront_get_info(struct duet_blkfront *bf,
			    struct duet_blkfront_info *out);

/* ------------------------------------------------------------------ */
/* Asynchronous I/O                                                    */
/* ------------------------------------------------------------------ */

/** Operations of duet_blkfront_submit(). */
enum duet_blkfront_op {
	DUET_BLKFRONT_READ = 0,
	DUET_BLKFRONT_WRITE = 1,
	DUET_BLKFRONT_FLUSH = 2,   /* flush-cache, or a barrier when that is
				    * all the backend offers; 0 when neither */
	DUET_BLKFRONT_DISCARD = 3, /* -EOPNOTSUPP when not offered */
};

/** Completion callback: @result is 0 or -errno (-EIO for an I/O error,
 *  -EOPNOTSUPP when the backend refused the operation, -EPROTO when the
 *  backend violated the protocol, -ESHUTDOWN when the device closed). */
typedef void (*duet_blkfront_done_fn)(void *opaque, int result);

/**
 * duet_blkfront_submit() - queue one I/O.
 * @op:     a duet_blkfront_op.
 * @buf:    READ: receives @len bytes; WRITE: @len bytes to write; it must
 *          stay valid until the callback ran.  NULL for FLUSH/DISCARD.
 * @offset, @len: bytes, sector aligned (ignored for FLUSH).
 * @done, @opaque: called once with the result, from the thread that runs
 *          duet_blkfront_process(); never from inside this call.
 * Returns 0 (queued), -EINVAL (alignment, range), -EROFS (write to a
 * read-only disk), -EOPNOTSUPP (discard not offered), -ESHUTDOWN (closed),
 * -ENOMEM.
 */
int duet_blkfront_submit(struct duet_blkfront *bf, int op, void *buf,
			 uint64_t offset, uint64_t len,
			 duet_blkfront_done_fn done, void *opaque);

/**
 * duet_blkfront_fd() - a file descriptor that becomes readable when
 * duet_blkfront_process() has work (responses, xenstore events).
 */
int duet_blkfront_fd(struct duet_blkfront *bf);

/**
 * duet_blkfront_process() - without blocking: take responses, follow the
 * backend's state (reconnect), issue queued requests and run the
 * callbacks of completed I/O.  Returns the number of callbacks run, or
 * -ENODEV once the device is gone for good.
 */
int duet_blkfront_process(struct duet_blkfront *bf);

/**
 * duet_blkfront_wait() - wait up to @timeout_ms (< 0: forever) for the
 * fd, then duet_blkfront_process().  Returns what that returns, 0 on a
 * timeout.
 */
int duet_blkfront_wait(struct duet_blkfront *bf, int timeout_ms);

/* ------------------------------------------------------------------ */
/* Synchronous I/O (thread-safe)                                       */
/* ------------------------------------------------------------------ */

/** duet_blkfront_pread() - read @len bytes at @offset.  0 or -errno. */
int duet_blkfront_pread(struct duet_blkfront *bf, void *buf, uint64_t len,
			uint64_t offset);

/** duet_blkfront_pwrite() - write @len bytes at @offset.  0 or -errno. */
int duet_blkfront_pwrite(struct duet_blkfront *bf, const void *buf,
			 uint64_t len, uint64_t offset);

/** duet_blkfront_flush() - make every completed write durable. */
int duet_blkfront_flush(struct duet_blkfront *bf);

/** duet_blkfront_discard() - discard @len bytes at @offset. */
int duet_blkfront_discard(struct duet_blkfront *bf, uint64_t offset,
			  uint64_t len);

#ifdef __cplusplus
}
#endif

#endif /* DUET_BLKFRONT_H */

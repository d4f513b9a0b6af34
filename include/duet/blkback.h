/* SPDX-License-Identifier: MIT */
/*
 * duet/blkback.h - the block backend (Xen's blkif protocol).
 *
 * blkback serves one virtual disk to a frontend (Linux's xen-blkfront or
 * duet's blkfront) from a file or a block device, with every feature of
 * xen/io/blkif.h that Linux's xen-blkback offers: multi-page rings
 * (max-ring-page-order 4), multi-queue, indirect segments (256),
 * persistent grants, flush, barrier, discard, 512 and 4096-byte sectors
 * and read-only disks.  Storage I/O goes through io_uring; a file on
 * tmpfs or ramfs is mapped and copied instead, and for that the first such
 * disk installs a process-wide SIGBUS handler (faults outside blkback's
 * copies go on to the handler that was there before it).
 *
 * The XenStore nodes it reads and writes: duet/blkif.h.
 */
#ifndef DUET_BLKBACK_H
#define DUET_BLKBACK_H

#include "duet/backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The device types served by the backend daemon: "vbd" and "qdisk". */
extern const struct duet_backend_type duet_blkback_type_vbd;
extern const struct duet_backend_type duet_blkback_type_qdisk;

/**
 * duet_blkback_serve() - serve one disk until it is closed for good; the
 * serve() of both types, callable without the daemon (tests, embedders).
 * @ctx: platform, xenstore handle, backend directory and stop fd; all of
 *       it must stay valid for the call.  ctx->xs must not be used by
 *       anyone else meanwhile.
 * Blocks.  Starts one thread per queue while connected.  Returns 0 when
 * the device was closed while offline or ctx->stop_fd turned readable,
 * or -errno when the device cannot be served (e.g. -ENOENT: the backing
 * store does not exist; the device is then left in Closed).
 */
int duet_blkback_serve(const struct duet_backend_ctx *ctx);

#ifdef __cplusplus
}
#endif

#endif /* DUET_BLKBACK_H */

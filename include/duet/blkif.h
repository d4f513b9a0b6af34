/* SPDX-License-Identifier: MIT */
/*
 * duet/blkif.h - blkif's per-guest ABIs.
 *
 * A blkfront writes <fe>/protocol ("x86_32-abi", "x86_64-abi",
 * "arm-abi"; absent means the backend's native ABI, xen/io/protocols.h).
 * The three differ only in alignment: a 32-bit x86 guest packs requests
 * to 4 bytes (id at offset 4, 108-byte requests, 12-byte responses),
 * while x86_64 and arm align id to 8 (offset 8, 112-byte requests,
 * 16-byte responses) — the native layout of every 64-bit host duet runs
 * on.  A backend attaches its ring with the descriptor of the frontend's
 * ABI, converts each request it copies out with duet_blkif_req_native(),
 * and may put native struct blkif_response values into any of the rings:
 * the first 12 bytes (id, operation, status) are laid out the same in
 * every ABI and the ring copies only its ABI's response size.
 *
 * ==================================================================
 * The vbd XenStore protocol as duet speaks it (device types "vbd" and
 * "qdisk"), documented here once; the drivers point here.  Facts of
 * xen/io/blkif.h are not repeated, only what duet writes, reads and
 * chooses.  <be> = /local/domain/<be-domid>/backend/<type>/<fe-domid>/<id>,
 * <fe> = /local/domain/<fe-domid>/device/vbd/<id> (libxl's layout).  The
 * XenBus nodes (backend, frontend, *-id, state, online) are duet/xenbus.h's.
 * ==================================================================
 *
 * Backend directory, written by the toolstack (xl, libxl, duet attach)
 * --------------------------------------------------------------------
 * params
 *      Values:  "<path>" ("vbd"); "[<format>:]<target>" ("qdisk", format
 *               "raw" or "aio" only), where <target> is a path, an NBD
 *               target (an NBD URI: nbd[s][+unix|+vsock]://..., or
 *               QEMU's nbd:HOST:PORT[:exportname=NAME] /
 *               nbd:unix:PATH[:exportname=NAME]) or an RBD target
 *               (QEMU's rbd:[POOL/[NS/]]IMAGE[@SNAP][:KEY=VALUE]...);
 *               duet/xlspec.h's duet_xl_disk_target_kind() has the forms.
 *      Notes:   the file or block device, export or image; the target
 *               picks blkback's storage engine.  blkback reaches InitWait
 *               before a path exists (libxl runs the block hotplug script
 *               only then) and opens it when it appears; a target named
 *               before InitWait is opened first, so that
 *               multi-queue-max-queues can say what the storage allows.
 *               A network target that cannot be reached, a missing export
 *               or image, or a malformed URI fails the device with a
 *               one-line reason in the error node (below).
 * physical-device
 *      Values:  "<major>:<minor>", hexadecimal (the block hotplug script
 *               writes it for backendtype=phy)
 *      Notes:   preferred over params; opened as /dev/block/MAJ:MIN, or,
 *               where there is no udev, /dev/<DEVNAME> from
 *               /sys/dev/block/MAJ:MIN/uevent.
 * mode
 *      Values:  "r" | "w"; any value holding a "w" is writable
 *      Default: "w"
 *      Notes:   read-only disks are opened read-only and report
 *               VDISK_READONLY in info; so is a disk whose storage is
 *               read-only (an NBD export, an RBD snapshot or image).
 * device-type
 *      Values:  "disk" | "cdrom"
 *      Default: "disk"
 *      Notes:   "cdrom" adds VDISK_CDROM | VDISK_REMOVABLE to info.
 * discard-enable
 *      Values:  "0" | "1"
 *      Default: "1"; a malformed value counts as absent
 *      Notes:   "0" withholds feature-discard.
 * persistent-grant-unused-seconds          (duet's own node)
 *      Values:  1..86400
 *      Default: 60 (Linux's xen-blkback module parameter of that name)
 *      Notes:   persistent grants unused this long are unmapped; read at
 *               each connect; a bad value is logged and the default kept.
 * dma                                      (duet's own node; vbd and vif)
 *      Values:  the name of a registered DMA backend (duet/dma.h:
 *               "direct", "swiotlb", "pv-identity", "gart", "calgary",
 *               "vtd-strict", "vtd-lazy" and whatever else is registered;
 *               `duet backend --dma list` prints them), or ""
 *      Default: absent: `duet backend --dma NAME` when the daemon was
 *               given one, else none.  The toolstack writes it with
 *               the device (`duet attach --dma NAME`).
 *      Notes:   the device's I/O goes through an emulated DMA device
 *               behind that backend: blkback's through the block
 *               controller (backends/blkback/dma.c), netback's through the
 *               NIC (backends/netback/dma.c), each grant mapped for the
 *               device by the grant-aware glue.  "" or absent with no
 *               daemon default: no DMA layer, the drivers' own paths.
 *               Read when the storage is opened (blkback) or at each
 *               connect (netback).  When the toolstack did not write it
 *               and the daemon has a default, the backend writes that
 *               name here, so the node always names the backend in use
 *               (duet status prints it as dma=).  An unknown name fails
 *               the device (logged; blkback: Closing, netback: Closing).
 *               Under DMA blkback does not offer feature-discard (the
 *               controller has none).
 *
 * Backend directory, written by blkback
 * -------------------------------------
 * Before InitWait (the storage may not be known yet):
 *   feature-max-indirect-segments  256
 *   max-ring-page-order            4 (16 pages)
 *   max-ring-pages                 16 (the older convention, same limit)
 *   multi-queue-max-queues         max(4, online CPUs), at most 16; 1
 *                                  for an NBD export without multi-conn
 *                                  (a flush covers one connection)
 *   feature-persistent             1
 * Once the storage is open, before Connected (Linux's blkfront reads them
 * when the backend is Connected):
 *   feature-flush-cache            1 (fdatasync; NBD: when the export
 *                                  has flush; RBD: always)
 *   feature-barrier                1 for files and devices (drain the
 *                                  queue, then fdatasync); 0 for NBD and
 *                                  RBD
 *   feature-discard                1 when the store can punch holes or
 *                                  discard (NBD: trim; RBD: discard), and
 *                                  discard-enable allows
 *   discard-granularity            the store's physical block size
 *   discard-alignment              0
 *   discard-secure                 1 only on a writable block device that
 *                                  takes BLKSECDISCARD; a discard flagged
 *                                  BLKIF_DISCARD_SECURE is then a
 *                                  BLKSECDISCARD, and without it the
 *                                  answer is BLKIF_RSP_EOPNOTSUPP (as
 *                                  Linux's), never a plain discard
 *   sectors                        size in 512-byte units, whatever
 *                                  sector-size says (as Linux's blkback)
 *   sector-size                    logical sector size (512 or 4096)
 *   physical-sector-size           physical sector size
 *   info                           VDISK_* bits (above)
 * On a local failure, where Linux's xenbus_dev_error() writes it:
 *   /local/domain/<be-domid>/error/<be below the domain path>/error
 *                                  "<errno> <message>"
 *
 * Frontend directory, written by the frontend at connect
 * ------------------------------------------------------
 * protocol
 *      Values:  absent (native) | "x86_64-abi" | "arm-abi" | "x86_32-abi"
 *      Notes:   blkback serves each (above); anything else is a protocol
 *               violation.  duet's blkfront writes "x86_64-abi".
 * multi-queue-num-queues
 *      Values:  1..multi-queue-max-queues
 *      Default: 1
 *      Notes:   with more than one, the ring nodes below go in
 *               <fe>/queue-<n>/ for each queue.
 * ring-ref | ring-page-order + ring-ref0..ring-ref<2^order - 1>,
 * (or the older num-ring-pages), event-channel
 *      Notes:   per queue.  With several queues ring-page-order is also
 *               (Linux's blkfront: only) at the top of <fe>: Linux's
 *               blkback reads it only there, so duet's blkfront writes
 *               it there too and blkback accepts either place
 *               (duet_xenbus_read_queue_ring_refs()).  duet's blkfront
 *               first removes what an earlier connection left, in the
 *               same transaction.
 * feature-persistent
 *      Values:  "0" | "1"
 *      Default: "0"
 *      Notes:   both ends must say 1 for grants to stay mapped.
 *
 * Frontend directory, written by the toolstack, read by duet's blkfront
 * ---------------------------------------------------------------------
 * trusted
 *      Values:  "0" | "1"
 *      Default: "1"
 *      Notes:   "0": the backend is not trusted: no persistent grants,
 *               every page granted for one request only.
 *
 * What duet's blkfront takes of the backend's nodes
 * -------------------------------------------------
 * At CONNECT (backend in InitWait): the ring order min(max-ring-page-order
 * (or max-ring-pages), opts.max_ring_order, 4), the queues
 * min(multi-queue-max-queues, opts.max_queues, 16).  At CONNECTED: sectors
 * (required), sector-size (default 512), physical-sector-size (default
 * sector-size), info, mode ("r" makes the disk read-only too), the
 * feature-* flags, and feature-max-indirect-segments, used when above 11
 * and capped by opts.max_indirect and 8 indirect pages.
 */
#ifndef DUET_BLKIF_H
#define DUET_BLKIF_H

#include "duet/ring.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * duet_blkif_ring_type() - the ring type for a frontend's "protocol"
 * node; NULL (node absent) means native.  Returns DUET_RING_BLKIF,
 * DUET_RING_BLKIF_X86_32 or DUET_RING_BLKIF_X86_64, or -EINVAL for a
 * protocol this host cannot serve.
 */
int duet_blkif_ring_type(const char *protocol);

/**
 * duet_blkif_req_native() - convert a request copied out of a ring of
 * @type (the ring's req_size bytes at @in) into a native struct
 * blkif_request at @out (sizeof(struct blkif_request) bytes, zeroed
 * first).  Read/write/barrier/flush requests keep their segments,
 * discard its sector range and flag, indirect its grant refs; any other
 * operation keeps only operation and id so that the backend can answer
 * BLKIF_RSP_EOPNOTSUPP.  Pure function, no validation of the values.
 * Returns 0, or -EINVAL for a @type that is not a blkif ring.
 */
int duet_blkif_req_native(enum duet_ring_type type, const void *in,
			  void *out);

#ifdef __cplusplus
}
#endif

#endif /* DUET_BLKIF_H */

/* SPDX-License-Identifier: MIT */
/*
 * duet/dma-dev.h - emulated DMA-capable devices: a block controller and a
 * NIC-like packet engine.  Each sits behind one struct duet_dma_dev and
 * touches memory only with duet_dma_dev_read()/duet_dma_dev_write(), so
 * what it can reach is decided by that device's DMA backend; a refused
 * access is a fault of the device (counted there) and an error status of
 * the command or descriptor, never a crash.
 *
 * In-memory formats (little-endian, read and written by the device through
 * DMA, so they must lie in memory mapped for the device):
 *   struct duet_dma_sg_desc  the block controller's scatter-gather table
 *   struct duet_dma_nic_desc the NIC's tx and rx ring entries
 *
 * Neither device owns a thread: the embedder calls the *_run()/_poll()
 * functions (from its event loop or a thread of its own).  One caller at
 * a time per device.
 */
#ifndef DUET_DMA_DEV_H
#define DUET_DMA_DEV_H

#include <stddef.h>
#include <stdint.h>

#include "duet/dma.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Block controller                                                    */
/* ------------------------------------------------------------------ */

#define DUET_DMA_BLK_SECTOR 512u
/** Largest scatter-gather table of one command (blkif's limit). */
#define DUET_DMA_BLK_MAX_SEG 11u
/** Commands queued at most. */
#define DUET_DMA_BLK_QUEUE 64u

enum duet_dma_blk_op {
	DUET_DMA_BLK_READ = 0,   /* file -> memory */
	DUET_DMA_BLK_WRITE = 1,  /* memory -> file */
	DUET_DMA_BLK_FLUSH = 2,  /* fdatasync; no segments */
};

/**
 * struct duet_dma_sg_desc - one segment, in memory the device reads.
 * @addr: bus address of the data.
 * @len:  bytes, a multiple of 512, at most 64 KiB.
 * @rsvd: 0.
 */
struct duet_dma_sg_desc {
	uint64_t addr;
	uint32_t len;
	uint32_t rsvd;
};

/**
 * struct duet_dma_blk_cmd - a command as the driver submits it.
 * @op:     enum duet_dma_blk_op.
 * @nseg:   segments in the table (0 for FLUSH, else 1..MAX_SEG).
 * @sector: first 512-byte sector of the file.
 * @table:  bus address of @nseg struct duet_dma_sg_desc.
 * @tag:    returned with the completion.
 */
struct duet_dma_blk_cmd {
	uint32_t op;
	uint32_t nseg;
	uint64_t sector;
	duet_dma_addr_t table;
	uint64_t tag;
};

/**
 * struct duet_dma_blk_done - a completion.
 * @tag:    the command's.
 * @status: 0; -EFAULT/-EACCES when a DMA of the command was refused
 *          (the device's fault record says where); -EINVAL for a
 *          malformed command or table; -EIO for a file error.  Reads
 *          past the end of the file give zeroes, writes extend it.  A
 *          read that faults may have filled earlier segments (as real
 *          hardware may); a write that faults writes nothing.
 */
struct duet_dma_blk_done {
	uint64_t tag;
	int32_t status;
};

struct duet_dma_blkctl;

/**
 * duet_dma_blkctl_create() - a controller on @dev backed by file @fd
 * (not taken over: the caller closes it after destroy).
 * Returns 0, -EINVAL, -ENOMEM.
 */
int duet_dma_blkctl_create(struct duet_dma_dev *dev, int fd,
			   struct duet_dma_blkctl **out);
/** duet_dma_blkctl_destroy() - free; queued commands are dropped. */
void duet_dma_blkctl_destroy(struct duet_dma_blkctl *c);
/** duet_dma_blkctl_submit() - queue @cmd (copied).  0 or -EBUSY (queue
 *  full) or -EINVAL (unknown op). */
int duet_dma_blkctl_submit(struct duet_dma_blkctl *c,
			   const struct duet_dma_blk_cmd *cmd);
/** duet_dma_blkctl_run() - execute every queued command in order; each
 *  leaves a completion.  Returns how many ran.  Blocks on file I/O. */
int duet_dma_blkctl_run(struct duet_dma_blkctl *c);
/** duet_dma_blkctl_reap() - up to @max completions, oldest first.
 *  Returns how many were stored in @done. */
int duet_dma_blkctl_reap(struct duet_dma_blkctl *c,
			 struct duet_dma_blk_done *done, unsigned max);

/* ------------------------------------------------------------------ */
/* NIC                                                                 */
/* ------------------------------------------------------------------ */

/** Descriptor flags. */
#define DUET_DMA_NIC_OWN  0x1u /* set by the driver: the device may use it */
#define DUET_DMA_NIC_DONE 0x2u /* set by the device when finished */
#define DUET_DMA_NIC_ERR  0x4u /* set with DONE when the buffer faulted */
/*
 * DUET_DMA_NIC_MORE - a frame in several buffers (the end-of-packet bit
 * of real NICs, inverted).  tx: set by the driver on every descriptor of
 * a frame but the last; the device sends the frame only once every one of
 * them is owned, gathered in ring order (at most DUET_DMA_NIC_MAX_CHAIN).
 * rx: set by the driver, it lets a frame longer than this buffer go on in
 * the next descriptor; the device writes it back on every descriptor of a
 * frame but the last (each @len then says the bytes in that buffer).
 */
#define DUET_DMA_NIC_MORE 0x8u
/** Descriptors one frame may take. */
#define DUET_DMA_NIC_MAX_CHAIN 32u

/** Largest frame: 64 KiB, a TSO super-frame (the wire side segments). */
#define DUET_DMA_NIC_MTU 65536u

/**
 * struct duet_dma_nic_desc - a tx or rx ring entry (16 bytes).
 * @addr:  bus address of the buffer.
 * @len:   tx: bytes to send (driver); rx: buffer size (driver), then the
 *         frame length (device).
 * @flags: DUET_DMA_NIC_*; the driver sets OWN after filling the rest, the
 *         device writes DONE (and clears OWN) last.
 * @rsvd:  0.
 */
struct duet_dma_nic_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t rsvd;
};

/** Where transmitted frames go (the "wire"). */
typedef void (*duet_dma_nic_wire_fn)(void *opaque, const void *frame,
				     size_t len);

struct duet_dma_nic;

/**
 * duet_dma_nic_create() - a NIC on @dev whose rings of @n entries each
 * lie at bus addresses @tx_ring and @rx_ring (usually coherent memory).
 * Transmitted frames are handed to @wire.  Returns 0, -EINVAL, -ENOMEM.
 */
int duet_dma_nic_create(struct duet_dma_dev *dev, duet_dma_addr_t tx_ring,
			duet_dma_addr_t rx_ring, unsigned n,
			duet_dma_nic_wire_fn wire, void *opaque,
			struct duet_dma_nic **out);
/** duet_dma_nic_destroy() - free.  NULL is ignored. */
void duet_dma_nic_destroy(struct duet_dma_nic *nic);
/**
 * duet_dma_nic_tx_poll() - send every frame whose descriptors the driver
 * owns-for-device, in ring order, from the device's tx position (a chain
 * of MORE descriptors waits until its last one is owned too).
 * Returns frames sent (faulted ones are completed with ERR on each of
 * their descriptors and not counted; so is a frame longer than
 * DUET_DMA_NIC_MTU or DUET_DMA_NIC_MAX_CHAIN descriptors) or
 * -EFAULT/-EACCES when a descriptor itself cannot be read or written (the
 * ring stops there).
 */
int duet_dma_nic_tx_poll(struct duet_dma_nic *nic);
/**
 * duet_dma_nic_receive() - a frame arrives from the wire: write it into
 * the next rx buffer the driver gave the device, and on into the
 * following ones while the buffer has MORE.  Returns 0, -EAGAIN (not
 * enough rx buffers owned: dropped, nothing consumed), -EMSGSIZE (larger
 * than the buffers the chain allows: dropped, descriptors completed with
 * ERR), -EFAULT/-EACCES (fault; every descriptor of the frame completed
 * with ERR when it is reachable).
 */
int duet_dma_nic_receive(struct duet_dma_nic *nic, const void *frame,
			 size_t len);

#ifdef __cplusplus
}
#endif

#endif /* DUET_DMA_DEV_H */

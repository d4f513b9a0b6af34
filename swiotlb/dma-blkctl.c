/* SPDX-License-Identifier: MIT */
/*
 * dma-blkctl.c - the emulated block controller: a queue of read, write and
 * flush commands whose scatter-gather tables and data move only through
 * the device's DMA path, backed by a file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "duet/dma-dev.h"
#include "swiotlb/dma-int.h"

#define MAX_SEG_LEN 65536u

struct duet_dma_blkctl {
	struct duet_dma_dev *dev;
	int fd;
	struct duet_dma_blk_cmd q[DUET_DMA_BLK_QUEUE];
	unsigned qhead, qlen;
	struct duet_dma_blk_done done[DUET_DMA_BLK_QUEUE];
	unsigned dhead, dlen;
	unsigned char *data;   /* the controller's own buffer */
};

int duet_dma_blkctl_create(struct duet_dma_dev *dev, int fd,
			   struct duet_dma_blkctl **out)
{
	struct duet_dma_blkctl *c;

	if (!dev || fd < 0 || !out)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->data = malloc((size_t)DUET_DMA_BLK_MAX_SEG * MAX_SEG_LEN);
	if (!c->data) {
		free(c);
		return -ENOMEM;
	}
	c->dev = dev;
	c->fd = fd;
	*out = c;
	return 0;
}

void duet_dma_blkctl_destroy(struct duet_dma_blkctl *c)
{
	if (!c)
		return;
	free(c->data);
	free(c);
}

int duet_dma_blkctl_submit(struct duet_dma_blkctl *c,
			   const struct duet_dma_blk_cmd *cmd)
{
	if (!c || !cmd || cmd->op > DUET_DMA_BLK_FLUSH)
		return -EINVAL;
	if (c->qlen == DUET_DMA_BLK_QUEUE)
		return -EBUSY;
	c->q[(c->qhead + c->qlen++) % DUET_DMA_BLK_QUEUE] = *cmd;
	return 0;
}

static int do_io(int fd, unsigned char *p, size_t len, off_t off, int wr)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = wr ? pwrite(fd, p + done, len - done, off + (off_t)done) :
			 pread(fd, p + done, len - done, off + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -EIO;
		if (n == 0) {
			if (wr)
				return -EIO;
			/* Past the end of the file reads as zeroes. */
			memset(p + done, 0, len - done);
			break;
		}
		done += (size_t)n;
	}
	return 0;
}

static int exec(struct duet_dma_blkctl *c, const struct duet_dma_blk_cmd *cmd)
{
	struct duet_dma_sg_desc seg[DUET_DMA_BLK_MAX_SEG];
	size_t total = 0, pos;
	unsigned i;
	int rc;

	if (cmd->op == DUET_DMA_BLK_FLUSH)
		return fdatasync(c->fd) < 0 ? -EIO : 0;
	if (!cmd->nseg || cmd->nseg > DUET_DMA_BLK_MAX_SEG ||
	    cmd->sector > (uint64_t)INT64_MAX / DUET_DMA_BLK_SECTOR)
		return -EINVAL;
	/* The table is read once, through DMA, then validated. */
	rc = duet_dma_dev_read(c->dev, cmd->table, seg,
			       cmd->nseg * sizeof(seg[0]));
	if (rc < 0)
		return rc;
	for (i = 0; i < cmd->nseg; i++) {
		if (!seg[i].len || seg[i].len % DUET_DMA_BLK_SECTOR ||
		    seg[i].len > MAX_SEG_LEN)
			return -EINVAL;
		total += seg[i].len;
	}
	if (cmd->op == DUET_DMA_BLK_WRITE) {
		/* Gather everything first: a fault writes nothing. */
		for (i = 0, pos = 0; i < cmd->nseg; pos += seg[i++].len) {
			rc = duet_dma_dev_read(c->dev, seg[i].addr,
					       c->data + pos, seg[i].len);
			if (rc < 0)
				return rc;
		}
		return do_io(c->fd, c->data, total,
			     (off_t)(cmd->sector * DUET_DMA_BLK_SECTOR), 1);
	}
	rc = do_io(c->fd, c->data, total,
		   (off_t)(cmd->sector * DUET_DMA_BLK_SECTOR), 0);
	if (rc < 0)
		return rc;
	for (i = 0, pos = 0; i < cmd->nseg; pos += seg[i++].len) {
		rc = duet_dma_dev_write(c->dev, seg[i].addr, c->data + pos,
					seg[i].len);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int duet_dma_blkctl_run(struct duet_dma_blkctl *c)
{
	int n = 0;

	while (c->qlen && c->dlen < DUET_DMA_BLK_QUEUE) {
		struct duet_dma_blk_cmd *cmd = &c->q[c->qhead];
		struct duet_dma_blk_done *d;

		d = &c->done[(c->dhead + c->dlen++) % DUET_DMA_BLK_QUEUE];
		d->tag = cmd->tag;
		d->status = exec(c, cmd);
		c->qhead = (c->qhead + 1) % DUET_DMA_BLK_QUEUE;
		c->qlen--;
		n++;
	}
	return n;
}

int duet_dma_blkctl_reap(struct duet_dma_blkctl *c,
			 struct duet_dma_blk_done *done, unsigned max)
{
	unsigned n = 0;

	while (n < max && c->dlen) {
		done[n++] = c->done[c->dhead];
		c->dhead = (c->dhead + 1) % DUET_DMA_BLK_QUEUE;
		c->dlen--;
	}
	return (int)n;
}

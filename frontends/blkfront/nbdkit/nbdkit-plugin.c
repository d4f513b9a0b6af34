/* SPDX-License-Identifier: MIT */
/*
 * nbdkit-plugin.c - nbdkit-duet-plugin.so: a Xen virtual disk, through
 * duet's blkfront, served over NBD.
 *
 *   nbdkit [-f] nbdkit-duet-plugin.so devid=xvda [domid=N] [queues=N]
 *          [ring-order=N] [indirect=N] [persistent=on|off] [trusted=on|off]
 *          [readonly=on|off] [timeout=MS]
 *
 * The platform comes from the environment (DUET_PLATFORM, DUET_DOMID), as
 * for every duet program.  One blkfront device serves every NBD
 * connection; it is opened after nbdkit forked into the background.
 * Thread model: parallel (the device is thread-safe, and each request
 * waits on its own completion).  Multi-conn is safe: all connections
 * share one device, so a flush on any of them covers the writes of all.
 * This file is built outside libduet because it needs nbdkit's header.
 */
#define NBDKIT_API_VERSION 2
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <nbdkit-plugin.h>

#include "duet/blkfront.h"
#include "duet/log.h"
#include "duet/platform.h"
#include "duet/xlspec.h"

static struct duet_blkfront_opts opts;
static int opts_ready;
static int devid = -1;
static int domid = -1;
static struct duet_platform *platform;
static struct duet_blkfront *dev;

static void log_to_nbdkit(void *opaque, int level, const char *msg)
{
	if (level <= DUET_LOG_WARN)
		nbdkit_error("%s", msg);
	else
		nbdkit_debug("%s", msg);
}

static void duet_load(void)
{
	duet_blkfront_opts_init(&opts);
	opts_ready = 1;
	duet_log_set_handler(log_to_nbdkit, NULL);
}

static int uint_arg(const char *key, const char *value, unsigned max,
		    unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(value, &end, 10);
	if (errno || end == value || *end || value[0] == '-' || v > max) {
		nbdkit_error("%s: bad value '%s'", key, value);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

static int duet_config(const char *key, const char *value)
{
	unsigned v;
	int b;

	if (!opts_ready)
		duet_load();
	if (!strcmp(key, "devid") || !strcmp(key, "vdev")) {
		devid = duet_xl_vdev_encode(value, NULL, NULL);
		if (devid < 0) {
			nbdkit_error("devid: bad device '%s'", value);
			return -1;
		}
	} else if (!strcmp(key, "domid")) {
		if (uint_arg(key, value, 0x7fef, &v) < 0)
			return -1;
		domid = (int)v;
	} else if (!strcmp(key, "queues")) {
		if (uint_arg(key, value, 16, &v) < 0 || !v)
			return -1;
		opts.max_queues = v;
	} else if (!strcmp(key, "ring-order")) {
		if (uint_arg(key, value, 4, &v) < 0)
			return -1;
		opts.max_ring_order = v;
	} else if (!strcmp(key, "indirect")) {
		if (uint_arg(key, value, 4096, &v) < 0)
			return -1;
		if (v <= 11)
			opts.flags |= DUET_BLKFRONT_NO_INDIRECT;
		else
			opts.max_indirect = v;
	} else if (!strcmp(key, "timeout")) {
		if (uint_arg(key, value, 1u << 30, &v) < 0)
			return -1;
		opts.timeout_ms = (int)v;
	} else if (!strcmp(key, "persistent") || !strcmp(key, "trusted") ||
		   !strcmp(key, "readonly")) {
		b = nbdkit_parse_bool(value);
		if (b < 0)
			return -1;
		if (!strcmp(key, "persistent") && !b)
			opts.flags |= DUET_BLKFRONT_NO_PERSISTENT;
		if (!strcmp(key, "trusted") && !b)
			opts.flags |= DUET_BLKFRONT_UNTRUSTED;
		if (!strcmp(key, "readonly") && b)
			opts.flags |= DUET_BLKFRONT_READ_ONLY;
	} else {
		nbdkit_error("unknown parameter '%s'", key);
		return -1;
	}
	return 0;
}

static int duet_config_complete(void)
{
	if (devid < 0) {
		nbdkit_error("devid=<vdev or number> is required");
		return -1;
	}
	return 0;
}

#define duet_config_help                                                  \
	"devid=<vdev>        (required) the disk, e.g. xvda or 51712\n"      \
	"domid=<N>           the frontend domain (default: this one)\n"      \
	"queues=<N>          most queues (default 4)\n"                      \
	"ring-order=<N>      largest ring-page-order 0..4 (default 4)\n"     \
	"indirect=<N>        most indirect segments, <= 11: none (256)\n"    \
	"persistent=on|off   persistent grants (default on)\n"               \
	"trusted=on|off      off: bounce through per-request grants\n"       \
	"readonly=on|off     refuse writes\n"                                \
	"timeout=<MS>        how long to wait for the backend (30000)"

/* Open the device once nbdkit is in its final process. */
static int duet_after_fork(void)
{
	char dir[128];
	int rc;

	rc = duet_platform_open(NULL, &platform);
	if (rc < 0) {
		nbdkit_error("cannot open the platform: %s", strerror(-rc));
		return -1;
	}
	if (domid < 0) {
		domid = duet_platform_domid(platform);
		if (domid < 0) {
			nbdkit_error("cannot tell our domid: %s",
				     strerror(-domid));
			return -1;
		}
	}
	duet_blkfront_dir(dir, sizeof(dir), (unsigned)domid, (unsigned)devid);
	rc = duet_blkfront_open(platform, dir, &opts, &dev);
	if (rc < 0) {
		nbdkit_error("%s: %s", dir, strerror(-rc));
		return -1;
	}
	return 0;
}

static void duet_unload(void)
{
	duet_blkfront_close(dev);
	duet_platform_close(platform);
	dev = NULL;
	platform = NULL;
}

static void *duet_open(int readonly)
{
	return dev ? (void *)dev : NULL;
}

static int64_t duet_get_size(void *h)
{
	return (int64_t)duet_blkfront_size(h);
}

static int duet_block_size(void *h, uint32_t *minimum, uint32_t *preferred,
			   uint32_t *maximum)
{
	struct duet_blkfront_info in;

	duet_blkfront_get_info(h, &in);
	*minimum = in.sector_size;
	*preferred = in.physical_sector_size > 4096 ? in.physical_sector_size
						    : 4096;
	*maximum = 0xffffffff;
	return 0;
}

static int duet_can_write(void *h)
{
	struct duet_blkfront_info in;

	duet_blkfront_get_info(h, &in);
	return !in.read_only;
}

static int duet_can_flush(void *h)
{
	return 1;
}

static int duet_can_fua(void *h)
{
	return NBDKIT_FUA_EMULATE;
}

static int duet_can_trim(void *h)
{
	struct duet_blkfront_info in;

	duet_blkfront_get_info(h, &in);
	return in.discard && !in.read_only;
}

static int duet_can_multi_conn(void *h)
{
	return 1;
}

static int result(int rc)
{
	if (rc < 0) {
		nbdkit_set_error(-rc);
		return -1;
	}
	return 0;
}

static int duet_pread(void *h, void *buf, uint32_t count, uint64_t offset,
		      uint32_t flags)
{
	return result(duet_blkfront_pread(h, buf, count, offset));
}

static int duet_pwrite(void *h, const void *buf, uint32_t count,
		       uint64_t offset, uint32_t flags)
{
	return result(duet_blkfront_pwrite(h, buf, count, offset));
}

static int duet_flush(void *h, uint32_t flags)
{
	return result(duet_blkfront_flush(h));
}

static int duet_trim(void *h, uint32_t count, uint64_t offset,
		     uint32_t flags)
{
	return result(duet_blkfront_discard(h, offset, count));
}

static struct nbdkit_plugin plugin = {
	.name = "duet",
	.longname = "duet Xen block frontend",
	.version = DUET_VERSION,
	.description = "a Xen virtual disk through duet's blkfront",
	.load = duet_load,
	.unload = duet_unload,
	.config = duet_config,
	.config_complete = duet_config_complete,
	.config_help = duet_config_help,
	.after_fork = duet_after_fork,
	.open = duet_open,
	.get_size = duet_get_size,
	.block_size = duet_block_size,
	.can_write = duet_can_write,
	.can_flush = duet_can_flush,
	.can_fua = duet_can_fua,
	.can_trim = duet_can_trim,
	.can_multi_conn = duet_can_multi_conn,
	.pread = duet_pread,
	.pwrite = duet_pwrite,
	.flush = duet_flush,
	.trim = duet_trim,
};

#define THREAD_MODEL NBDKIT_THREAD_MODEL_PARALLEL
NBDKIT_REGISTER_PLUGIN(plugin)

/* SPDX-License-Identifier: MIT */
/*
 * cmd-blkfront.c - "duet blkfront": read, write and verify a virtual disk
 * through duet's block frontend, for scripts.
 *
 *   duet blkfront [options] DEV read OFFSET LEN   > data
 *   duet blkfront [options] DEV write OFFSET      < data
 *   duet blkfront [options] DEV verify FILE [OFFSET]
 *   duet blkfront [options] DEV info | flush | discard OFFSET LEN
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "duet/blkfront.h"
#include "duet/platform.h"
#include "duet/xlspec.h"
#include "toolstack/cli/cli.h"

#define CHUNK (1u << 20)

static void usage(void)
{
	printf("usage: duet blkfront [options] DEV COMMAND [ARGS]\n"
	       "Connects to the virtual disk DEV (a vdev name like xvda or "
	       "a number) of\nthis domain (or --domid) as its frontend.\n\n"
	       "commands:\n"
	       "  read OFFSET LEN    write LEN bytes from OFFSET to stdout\n"
	       "  write OFFSET       write stdin at OFFSET\n"
	       "  verify FILE [OFF]  compare the disk at OFF (default 0) "
	       "with FILE\n"
	       "  flush              flush the backend's cache\n"
	       "  discard OFFSET LEN discard a range\n"
	       "  info               print what was negotiated\n\n"
	       "OFFSET and LEN are bytes (K, M, G suffixes), multiples of "
	       "the sector size;\nwrite pads a partial last sector from "
	       "the disk's own data.\n\n"
	       "options:\n"
	       "  --domid N          the frontend domain (default: ours)\n"
	       "  --queues N         most queues (default 4)\n"
	       "  --ring-order N     largest ring-page-order 0..4 "
	       "(default 4)\n"
	       "  --indirect N       most indirect segments (default 256)\n"
	       "  --no-indirect, --no-persistent, --untrusted, --read-only\n"
	       "  --timeout MS       connect timeout (default 30000)\n");
}

static int parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s[0] || s[0] == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'K': case 'k':
		v <<= 10; end++; break;
	case 'M': case 'm':
		v <<= 20; end++; break;
	case 'G': case 'g':
		v <<= 30; end++; break;
	}
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

static int parse_uint(const char *s, unsigned max, unsigned *out)
{
	uint64_t v;

	if (parse_size(s, &v) < 0 || v > max)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

static int fail(const char *what, int rc)
{
	fprintf(stderr, "duet blkfront: %s: %s\n", what, strerror(-rc));
	return CLI_EXIT_FAIL;
}

static int do_read(struct duet_blkfront *bf, uint64_t off, uint64_t len)
{
	char *buf = malloc(CHUNK);
	uint64_t n;
	int rc = 0;

	if (!buf)
		return fail("read", -ENOMEM);
	while (len && rc == 0) {
		n = len < CHUNK ? len : CHUNK;
		rc = duet_blkfront_pread(bf, buf, n, off);
		if (rc == 0 && fwrite(buf, 1, n, stdout) != n)
			rc = -EIO;
		off += n;
		len -= n;
	}
	free(buf);
	if (rc == 0 && fflush(stdout))
		rc = -errno;
	return rc < 0 ? fail("read", rc) : CLI_EXIT_OK;
}

/* Fill @buf from @f; returns bytes read (short only at EOF). */
static size_t read_full(FILE *f, char *buf, size_t len)
{
	size_t got = 0, n;

	while (got < len) {
		n = fread(buf + got, 1, len - got, f);
		if (!n)
			break;
		got += n;
	}
	return got;
}

static int do_write(struct duet_blkfront *bf, uint64_t off)
{
	unsigned ss = duet_blkfront_sector_size(bf);
	char *buf = malloc(CHUNK), *tail = malloc(ss);
	uint64_t total = 0;
	size_t n, whole;
	int rc = 0;

	if (!buf || !tail) {
		free(buf);
		free(tail);
		return fail("write", -ENOMEM);
	}
	while (rc == 0 && (n = read_full(stdin, buf, CHUNK)) > 0) {
		whole = n - n % ss;
		if (whole)
			rc = duet_blkfront_pwrite(bf, buf, whole, off);
		if (rc == 0 && whole < n) {
			/* A partial last sector keeps the disk's bytes. */
			rc = duet_blkfront_pread(bf, tail, ss, off + whole);
			memcpy(tail, buf + whole, n - whole);
			if (rc == 0)
				rc = duet_blkfront_pwrite(bf, tail, ss,
							  off + whole);
		}
		off += n;
		total += n;
		if (n < CHUNK)
			break;
	}
	if (rc == 0 && ferror(stdin))
		rc = -EIO;
	if (rc == 0)
		rc = duet_blkfront_flush(bf);
	free(buf);
	free(tail);
	if (rc < 0)
		return fail("write", rc);
	fprintf(stderr, "duet blkfront: wrote %llu bytes\n",
		(unsigned long long)total);
	return CLI_EXIT_OK;
}

static int do_verify(struct duet_blkfront *bf, const char *file, uint64_t off)
{
	unsigned ss = duet_blkfront_sector_size(bf);
	char *want = malloc(CHUNK), *got = malloc(CHUNK);
	FILE *f = fopen(file, "rb");
	uint64_t pos = 0;
	size_t n, i, rd;
	int rc = 0, differ = 0;

	if (!f) {
		rc = -errno;
		free(want);
		free(got);
		return fail(file, rc);
	}
	if (!want || !got)
		rc = -ENOMEM;
	while (rc == 0 && !differ && (n = read_full(f, want, CHUNK)) > 0) {
		rd = (n + ss - 1) / ss * ss;
		rc = duet_blkfront_pread(bf, got, rd, off + pos);
		for (i = 0; rc == 0 && i < n; i++) {
			if (want[i] != got[i]) {
				fprintf(stderr, "duet blkfront: differs at "
					"byte %llu of %s\n",
					(unsigned long long)(pos + i), file);
				differ = 1;
				break;
			}
		}
		pos += n;
		if (n < CHUNK)
			break;
	}
	fclose(f);
	free(want);
	free(got);
	if (rc < 0)
		return fail("verify", rc);
	if (differ)
		return CLI_EXIT_FAIL;
	printf("%llu bytes identical\n", (unsigned long long)pos);
	return CLI_EXIT_OK;
}

static void print_info(struct duet_blkfront *bf)
{
	struct duet_blkfront_info in;

	duet_blkfront_get_info(bf, &in);
	printf("size %llu\nsector-size %u\nphysical-sector-size %u\n"
	       "read-only %d\ntrusted %d\nqueues %u\nring-page-order %u\n"
	       "ring-entries %u\nmax-segments %u\nindirect %d\n"
	       "persistent %d\nflush %d\nbarrier %d\ndiscard %d\n"
	       "discard-granularity %u\ndiscard-alignment %u\n",
	       (unsigned long long)in.size, in.sector_size,
	       in.physical_sector_size, in.read_only, in.trusted, in.queues,
	       in.ring_order, in.ring_entries, in.max_segments, in.indirect,
	       in.persistent, in.flush, in.barrier, in.discard,
	       in.discard_granularity, in.discard_alignment);
}

enum { OPT_DOMID = 256, OPT_QUEUES, OPT_ORDER, OPT_INDIRECT, OPT_NOIND,
       OPT_NOPERS, OPT_UNTRUSTED, OPT_RO, OPT_TIMEOUT };

static const struct option longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "domid", required_argument, NULL, OPT_DOMID },
	{ "queues", required_argument, NULL, OPT_QUEUES },
	{ "ring-order", required_argument, NULL, OPT_ORDER },
	{ "indirect", required_argument, NULL, OPT_INDIRECT },
	{ "no-indirect", no_argument, NULL, OPT_NOIND },
	{ "no-persistent", no_argument, NULL, OPT_NOPERS },
	{ "untrusted", no_argument, NULL, OPT_UNTRUSTED },
	{ "read-only", no_argument, NULL, OPT_RO },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ NULL, 0, NULL, 0 },
};

int cli_blkfront(int argc, char **argv)
{
	struct duet_blkfront_opts o;
	struct duet_blkfront *bf;
	struct duet_platform *p;
	unsigned domid = 0, v;
	int have_domid = 0, c, rc, vdev, nargs;
	uint64_t off = 0, len = 0;
	const char *cmd;
	char dir[128];

	duet_blkfront_opts_init(&o);
	cli_getopt_init();
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			usage();
			return CLI_EXIT_OK;
		case OPT_DOMID:
			if (parse_uint(optarg, 0x7fef, &domid) < 0)
				return cli_usage_error("blkfront",
						       "bad domid '%s'", optarg);
			have_domid = 1;
			break;
		case OPT_QUEUES:
			if (parse_uint(optarg, 16, &v) < 0 || !v)
				return cli_usage_error("blkfront",
						       "bad queue count '%s'",
						       optarg);
			o.max_queues = v;
			break;
		case OPT_ORDER:
			if (parse_uint(optarg, 4, &v) < 0)
				return cli_usage_error("blkfront",
						       "bad ring order '%s'",
						       optarg);
			o.max_ring_order = v;
			break;
		case OPT_INDIRECT:
			if (parse_uint(optarg, 4096, &v) < 0)
				return cli_usage_error("blkfront",
						       "bad segment count '%s'",
						       optarg);
			o.max_indirect = v;
			break;
		case OPT_NOIND:
			o.flags |= DUET_BLKFRONT_NO_INDIRECT;
			break;
		case OPT_NOPERS:
			o.flags |= DUET_BLKFRONT_NO_PERSISTENT;
			break;
		case OPT_UNTRUSTED:
			o.flags |= DUET_BLKFRONT_UNTRUSTED;
			break;
		case OPT_RO:
			o.flags |= DUET_BLKFRONT_READ_ONLY;
			break;
		case OPT_TIMEOUT:
			if (parse_uint(optarg, 1u << 30, &v) < 0)
				return cli_usage_error("blkfront",
						       "bad timeout '%s'",
						       optarg);
			o.timeout_ms = (int)v;
			break;
		default:
			return cli_option_error("blkfront", c, argv);
		}
	}
	if (argc - optind < 2)
		return cli_usage_error("blkfront", "need DEV and a command");
	vdev = duet_xl_vdev_encode(argv[optind], NULL, NULL);
	if (vdev < 0)
		return cli_usage_error("blkfront", "bad device '%s'",
				       argv[optind]);
	cmd = argv[optind + 1];
	nargs = argc - optind - 2;
	argv += optind + 2;
	if (!strcmp(cmd, "read") || !strcmp(cmd, "discard")) {
		if (nargs != 2 || parse_size(argv[0], &off) < 0 ||
		    parse_size(argv[1], &len) < 0)
			return cli_usage_error("blkfront", "%s needs OFFSET "
					       "LEN", cmd);
	} else if (!strcmp(cmd, "write")) {
		if (nargs != 1 || parse_size(argv[0], &off) < 0)
			return cli_usage_error("blkfront",
					       "write needs OFFSET");
	} else if (!strcmp(cmd, "verify")) {
		if (nargs < 1 || nargs > 2 ||
		    (nargs == 2 && parse_size(argv[1], &off) < 0))
			return cli_usage_error("blkfront",
					       "verify needs FILE [OFFSET]");
	} else if (!strcmp(cmd, "info") || !strcmp(cmd, "flush")) {
		if (nargs)
			return cli_usage_error("blkfront", "%s takes no "
					       "arguments", cmd);
	} else {
		return cli_usage_error("blkfront", "unknown command '%s'",
				       cmd);
	}

	rc = duet_platform_open(NULL, &p);
	if (rc < 0)
		return fail("platform", rc);
	if (!have_domid) {
		rc = duet_platform_domid(p);
		if (rc < 0) {
			duet_platform_close(p);
			return fail("domid", rc);
		}
		domid = (unsigned)rc;
	}
	duet_blkfront_dir(dir, sizeof(dir), domid, (unsigned)vdev);
	rc = duet_blkfront_open(p, dir, &o, &bf);
	if (rc < 0) {
		duet_platform_close(p);
		return fail(dir, rc);
	}
	if (!strcmp(cmd, "read"))
		rc = do_read(bf, off, len);
	else if (!strcmp(cmd, "write"))
		rc = do_write(bf, off);
	else if (!strcmp(cmd, "verify"))
		rc = do_verify(bf, argv[0], off);
	else if (!strcmp(cmd, "discard"))
		rc = (c = duet_blkfront_discard(bf, off, len)) < 0 ?
			     fail("discard", c) : CLI_EXIT_OK;
	else if (!strcmp(cmd, "flush"))
		rc = (c = duet_blkfront_flush(bf)) < 0 ? fail("flush", c) :
							  CLI_EXIT_OK;
	else {
		print_info(bf);
		rc = CLI_EXIT_OK;
	}
	duet_blkfront_close(bf);
	duet_platform_close(p);
	return rc;
}

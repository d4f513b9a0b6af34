/* SPDX-License-Identifier: MIT */
/*
 * cmd-attach.c - "duet attach": parse an xl-syntax device and write libxl's
 * xenstore layout for it, or with --check print what it means.
 *
 *   duet attach --check 'disk=SPEC' | 'vif=SPEC'
 *   duet attach [--dma NAME] DOMID 'disk=SPEC' | 'vif=SPEC'
 *
 * --check prints one key=value line per parsed field; attach prints the
 * frontend and backend paths written.  A malformed spec is reported in
 * one line naming the bad part, with exit status 2.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "duet/platform.h"
#include "duet/xlspec.h"
#include "duet/xs.h"
#include "toolstack/cli/cli.h"

static void attach_usage(FILE *f)
{
	fprintf(f,
		"usage: duet attach --check 'disk=SPEC' | 'vif=SPEC'\n"
		"       duet attach [--dma NAME] DOMID 'disk=SPEC' | "
		"'vif=SPEC'\n"
		"SPEC is xl's syntax: xl-disk-configuration(5) for disk=,\n"
		"xl-network-configuration(5) for vif=.  --check parses it and\n"
		"prints the fields (key=value per line); a malformed spec is\n"
		"reported in one line with exit status 2.\n"
		"With DOMID, writes the device's frontend, backend and /libxl\n"
		"nodes as libxl does (backend=NAME|DOMID picks a driver\n"
		"domain) in one xenstore transaction and prints the paths.\n"
		"--dma NAME (duet's, not xl's): the device's I/O goes through\n"
		"an emulated DMA device behind that DMA backend (the backend\n"
		"node dma; 'duet backend --dma list' names them).\n"
		"Examples:\n"
		"  duet attach --check 'disk=/dev/vg/guest,raw,xvda,rw'\n"
		"  duet attach --check 'disk=phy:/dev/vg/guest,xvda,w'\n"
		"  duet attach 1 'disk=vdev=xvdb, backendtype=qdisk, "
		"target=nbd://127.0.0.1:10809/export'\n"
		"  duet attach 1 'disk=vdev=xvdc, backendtype=qdisk, "
		"target=rbd:pool/image:id=admin'\n"
		"  duet attach --check "
		"'vif=mac=00:16:3e:00:00:01,bridge=br0'\n");
}

static void print_disk(const struct duet_xl_disk *d)
{
	printf("device=vbd\n");
	printf("target=%s\n", d->target);
	printf("target-kind=%s\n", duet_xl_disk_target_name(d->target_kind));
	printf("format=%s\n", duet_xl_disk_format_name(d->format));
	printf("vdev=%s\n", d->vdev);
	printf("virtual-device=%d\n", d->virtual_device);
	printf("access=%s\n", d->readwrite ? "rw" : "ro");
	printf("devtype=%s\n", d->is_cdrom ? "cdrom" : "disk");
	printf("backend=%s\n", d->backend ? d->backend : "0");
	printf("backendtype=%s\n",
	       duet_xl_disk_backendtype_name(d->backendtype));
	printf("script=%s\n", d->script ? d->script : "");
	printf("discard=%d\n", d->discard);
	printf("direct-io-safe=%d\n", d->direct_io_safe);
	printf("trusted=%d\n", d->trusted);
}

static void print_vif(const struct duet_xl_vif *v)
{
	printf("device=vif\n");
	if (v->mac_set)
		printf("mac=%02x:%02x:%02x:%02x:%02x:%02x\n", v->mac[0],
		       v->mac[1], v->mac[2], v->mac[3], v->mac[4], v->mac[5]);
	else
		printf("mac=\n");
	printf("bridge=%s\n", v->bridge ? v->bridge : "");
	printf("ip=%s\n", v->ip ? v->ip : "");
	printf("backend=%s\n", v->backend ? v->backend : "0");
	printf("type=%s\n", duet_xl_vif_type_name(v->type));
	printf("vifname=%s\n", v->vifname ? v->vifname : "");
	printf("script=%s\n", v->script ? v->script : "");
	printf("gatewaydev=%s\n", v->gatewaydev ? v->gatewaydev : "");
	printf("mtu=%u\n", v->mtu);
	if (v->rate_interval_usecs)
		printf("rate=%llu,%u\n",
		       (unsigned long long)v->rate_bytes_per_interval,
		       v->rate_interval_usecs);
	else
		printf("rate=\n");
	if (v->devid >= 0)
		printf("devid=%d\n", v->devid);
	else
		printf("devid=\n");
}

/* A parsed "disk=SPEC" or "vif=SPEC". */
struct spec {
	int is_disk;
	struct duet_xl_disk d;
	struct duet_xl_vif v;
};

/*
 * parse_spec() - parse "disk=SPEC" or "vif=SPEC" into @s.  Returns
 * CLI_EXIT_OK (release with release_spec()) or the exit status after
 * printing the reason.
 */
static int parse_spec(const char *arg, struct spec *s)
{
	char err[256];
	int rc;

	memset(s, 0, sizeof(*s));
	if (!strncmp(arg, "disk=", 5)) {
		s->is_disk = 1;
		rc = duet_xl_disk_parse(arg + 5, &s->d, err, sizeof(err));
	} else if (!strncmp(arg, "vif=", 4)) {
		rc = duet_xl_vif_parse(arg + 4, &s->v, err, sizeof(err));
	} else {
		return cli_usage_error("attach",
				       "expected 'disk=SPEC' or 'vif=SPEC'");
	}
	if (rc == -EINVAL) {
		fprintf(stderr, "duet attach: bad %s spec: %s\n",
			s->is_disk ? "disk" : "vif", err);
		return CLI_EXIT_USAGE;
	}
	if (rc < 0) {
		fprintf(stderr, "duet attach: %s\n", strerror(-rc));
		return CLI_EXIT_FAIL;
	}
	return CLI_EXIT_OK;
}

static void release_spec(struct spec *s)
{
	duet_xl_disk_release(&s->d);
	duet_xl_vif_release(&s->v);
}

static int do_attach(int domid, struct spec *s, const char *dma)
{
	struct duet_platform *p;
	struct duet_xs *xs;
	int rc, devid;

	rc = cli_open_xs("attach", &p, &xs);
	if (rc)
		return rc;
	s->d.dma = dma;
	s->v.dma = dma;
	if (s->is_disk)
		rc = duet_xl_disk_attach(xs, (unsigned)domid, &s->d, &devid);
	else
		rc = duet_xl_vif_attach(xs, (unsigned)domid, &s->v, &devid);
	duet_xs_close(xs);
	duet_platform_close(p);
	switch (rc) {
	case 0:
		printf("attached %s %d to domain %d\n",
		       s->is_disk ? "vbd" : "vif", devid, domid);
		return CLI_EXIT_OK;
	case -EEXIST:
		fprintf(stderr,
			"duet attach: domain %d already has that "
			"device\n",
			domid);
		break;
	case -ENOENT:
		fprintf(stderr,
			"duet attach: no such domain (frontend %d or "
			"backend %s)\n",
			domid,
			(s->is_disk ? s->d.backend : s->v.backend) ?: "0");
		break;
	case -EINVAL:
		if (s->is_disk && s->d.backendtype == DUET_XL_BACKENDTYPE_TAP)
			fprintf(stderr, "duet attach: backendtype=tap (blktap) "
					"is not supported\n");
		else
			fprintf(stderr, "duet attach: invalid device\n");
		break;
	default:
		fprintf(stderr, "duet attach: xenstore: %s\n", strerror(-rc));
	}
	return CLI_EXIT_FAIL;
}

static const struct option attach_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "check", no_argument, NULL, 'c' },
	{ "dma", required_argument, NULL, 'D' },
	{ NULL, 0, NULL, 0 },
};

int cli_attach(int argc, char **argv)
{
	const char *dma = NULL;
	struct spec s;
	int rc, domid, c, check = 0;

	cli_getopt_init();
	while ((c = getopt_long(argc, argv, "+:h", attach_opts, NULL)) != -1) {
		switch (c) {
		case 'h':
			attach_usage(stdout);
			return CLI_EXIT_OK;
		case 'c':
			check = 1;
			break;
		case 'D':
			rc = cli_dma_check("attach", optarg);
			if (rc)
				return rc;
			dma = optarg;
			break;
		default:
			return cli_option_error("attach", c, argv);
		}
	}
	argc -= optind - 1;
	argv += optind - 1;
	if (check) {
		if (dma)
			return cli_usage_error("attach",
					       "--dma attaches; --check only "
					       "parses");
		if (argc != 2)
			return cli_usage_error("attach",
					       "--check takes one 'disk=SPEC' "
					       "or 'vif=SPEC'");
		rc = parse_spec(argv[1], &s);
		if (rc)
			return rc;
		if (s.is_disk)
			print_disk(&s.d);
		else
			print_vif(&s.v);
		release_spec(&s);
		return CLI_EXIT_OK;
	}
	if (argc < 2)
		return cli_usage_error("attach", "missing arguments");
	if (argc != 3)
		return cli_usage_error("attach", "expected DOMID and one "
						 "'disk=SPEC' or 'vif=SPEC'");
	domid = cli_parse_domid(argv[1]);
	if (domid < 0)
		return cli_usage_error("attach", "bad domain id (0..%u)",
				       DUET_XL_DOMID_MAX - 1);
	rc = parse_spec(argv[2], &s);
	if (rc)
		return rc;
	rc = do_attach(domid, &s, dma);
	release_spec(&s);
	return rc;
}

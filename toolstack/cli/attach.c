/* SPDX-License-Identifier: MIT */
/*
 * attach.c - "duet attach": parse an xl-syntax device and, with --check,
 * print what it means.
 *
 *   duet attach --check 'disk=SPEC' | 'vif=SPEC'
 *
 * prints one key=value line per parsed field, or a one-line reason
 * naming the bad part and exits 2.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "duet/xlspec.h"
#include "toolstack/cli/cli.h"

static void attach_usage(FILE *f)
{
	fprintf(f,
		"usage: duet attach --check 'disk=SPEC' | 'vif=SPEC'\n"
		"SPEC is xl's syntax: xl-disk-configuration(5) for disk=,\n"
		"xl-network-configuration(5) for vif=.  --check parses it and\n"
		"prints the fields (key=value per line); a malformed spec is\n"
		"reported in one line with exit status 2.\n"
		"Examples:\n"
		"  duet attach --check 'disk=/dev/vg/guest,raw,xvda,rw'\n"
		"  duet attach --check 'disk=phy:/dev/vg/guest,xvda,w'\n"
		"  duet attach --check "
		"'vif=mac=00:16:3e:00:00:01,bridge=br0'\n");
}

static void print_disk(const struct duet_xl_disk *d)
{
	printf("device=vbd\n");
	printf("target=%s\n", d->target);
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

/*
 * check() - parse "disk=SPEC" or "vif=SPEC" and print it.  Returns the
 * exit status.
 */
static int check(const char *arg)
{
	char err[256];
	int rc;

	if (!strncmp(arg, "disk=", 5)) {
		struct duet_xl_disk d;

		rc = duet_xl_disk_parse(arg + 5, &d, err, sizeof(err));
		if (rc == -EINVAL) {
			fprintf(stderr, "duet attach: bad disk spec: %s\n",
				err);
			return CLI_EXIT_USAGE;
		}
		if (rc < 0) {
			fprintf(stderr, "duet attach: %s\n", strerror(-rc));
			return CLI_EXIT_FAIL;
		}
		print_disk(&d);
		duet_xl_disk_release(&d);
		return CLI_EXIT_OK;
	}
	if (!strncmp(arg, "vif=", 4)) {
		struct duet_xl_vif v;

		rc = duet_xl_vif_parse(arg + 4, &v, err, sizeof(err));
		if (rc == -EINVAL) {
			fprintf(stderr, "duet attach: bad vif spec: %s\n", err);
			return CLI_EXIT_USAGE;
		}
		if (rc < 0) {
			fprintf(stderr, "duet attach: %s\n", strerror(-rc));
			return CLI_EXIT_FAIL;
		}
		print_vif(&v);
		duet_xl_vif_release(&v);
		return CLI_EXIT_OK;
	}
	return cli_usage_error(
		"attach", "expected 'disk=SPEC' or 'vif=SPEC', not '%.40s'",
		arg);
}

int cli_attach(int argc, char **argv)
{
	if (argc > 1 &&
	    (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		attach_usage(stdout);
		return CLI_EXIT_OK;
	}
	if (argc > 1 && !strcmp(argv[1], "--check")) {
		if (argc != 3)
			return cli_usage_error("attach",
					       "--check takes one 'disk=SPEC' "
					       "or 'vif=SPEC'");
		return check(argv[2]);
	}
	if (argc < 2)
		return cli_usage_error("attach", "missing arguments");
	return cli_usage_error("attach", "unexpected argument '%.40s'",
			       argv[1]);
}

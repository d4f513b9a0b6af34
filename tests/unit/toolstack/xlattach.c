/* SPDX-License-Identifier: MIT */
/*
 * Attach writes libxl's xenstore layout and detach removes it, against
 * the simulator's xs_wire server run in a thread of this test.  The
 * reference layouts are written here from the xl documentation and
 * libxl's device add (node names, values, permissions); the store is
 * compared node by node, and after detach it must equal the store before
 * attach (no stray nodes).  The guest's view is checked through its own
 * connection: it reads its frontend and backend nodes and cannot write
 * the backend's.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "duet/xlspec.h"
#include "duet/xs.h"
#include "lib/xs-harness.h"

/* ------------------------------------------------------------------ */
/* store dumps                                                         */
/* ------------------------------------------------------------------ */

struct buf {
	char *s;
	size_t len, cap;
};

static void put(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char *line;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&line, fmt, ap);
	va_end(ap);
	if (n < 0)
		exit(1);
	if (b->len + (size_t)n + 1 > b->cap) {
		b->cap = (b->len + (size_t)n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		if (!b->s)
			exit(1);
	}
	memcpy(b->s + b->len, line, (size_t)n + 1);
	b->len += (size_t)n;
	free(line);
}

/* One line per node: "path = value [owner:perm reader:perm ...]". */
static void dump(struct duet_xs *xs, const char *path, struct buf *b)
{
	struct duet_xs_perm perms[8];
	char **names, *val, *child;
	int n, i, np;

	if (duet_xs_read(xs, DUET_XS_NO_TX, path, &val) < 0)
		val = NULL;
	put(b, "%s = \"%s\" [", path, val ? val : "");
	free(val);
	np = duet_xs_get_perms(xs, DUET_XS_NO_TX, path, perms, 8);
	for (i = 0; i < np && i < 8; i++)
		put(b, "%s%u:%c", i ? " " : "", perms[i].domid,
		    "nrwb"[perms[i].perms & 3]);
	put(b, "]\n");
	n = duet_xs_directory(xs, DUET_XS_NO_TX, path, &names);
	for (i = 0; i < n; i++) {
		if (asprintf(&child, "%s/%s", strcmp(path, "/") ? path : "",
			     names[i]) < 0)
			exit(1);
		dump(xs, child, b);
		free(child);
	}
	if (n >= 0)
		free(names);
}

/* The dump of @path's subtree (a sorted comparison is not needed: the
 * server lists children in a stable order). */
static char *dump_of(struct duet_xs *xs, const char *path)
{
	struct buf b = { 0 };

	dump(xs, path, &b);
	return b.s;
}

/*
 * Compare the direct children of @path with @want: "name=value owner
 * reader" triples, every node with perms [owner:n reader:r].
 */
struct node {
	const char *name, *val;
	unsigned owner, reader;
};

static void check_dir(struct duet_xs *xs, const char *path,
		      const struct node *want, unsigned nwant,
		      unsigned owner, unsigned reader, const char *what)
{
	struct duet_xs_perm perms[4];
	char **names, *val, *child;
	unsigned i;
	int n, np, bad = 0;

	np = duet_xs_get_perms(xs, DUET_XS_NO_TX, path, perms, 4);
	ok(np == 2 && perms[0].domid == owner && perms[0].perms == 0 &&
		   perms[1].domid == reader &&
		   perms[1].perms == DUET_XS_PERM_READ,
	   "%s: dir %s owned by %u, readable by %u", what, path, owner,
	   reader);
	n = duet_xs_directory(xs, DUET_XS_NO_TX, path, &names);
	if (!ok(n == (int)nwant, "%s: %u nodes, no more, no fewer", what,
		nwant))
		for (i = 0; n > 0 && i < (unsigned)n; i++)
			diag("has %s", names[i]);
	if (n >= 0)
		free(names);
	for (i = 0; i < nwant; i++) {
		if (asprintf(&child, "%s/%s", path, want[i].name) < 0)
			exit(1);
		if (duet_xs_read(xs, DUET_XS_NO_TX, child, &val) < 0) {
			ok(0, "%s: %s exists", what, want[i].name);
			free(child);
			bad = 1;
			continue;
		}
		is_str(val, want[i].val, "%s: %s = \"%s\"", what,
		       want[i].name, want[i].val);
		np = duet_xs_get_perms(xs, DUET_XS_NO_TX, child, perms, 4);
		if (!ok(np == 2 && perms[0].domid == want[i].owner &&
				perms[0].perms == 0 &&
				perms[1].domid == want[i].reader &&
				perms[1].perms == DUET_XS_PERM_READ,
			"%s:   %s owned by %u, readable by %u", what,
			want[i].name, want[i].owner, want[i].reader))
			diag("np %d owner %u", np, np > 0 ? perms[0].domid : 0);
		free(val);
		free(child);
	}
	(void)bad;
}

/* ------------------------------------------------------------------ */
/* tests                                                               */
/* ------------------------------------------------------------------ */

static void disk_layout(struct duet_xs *xs0, struct duet_xs *xs1)
{
	static const char be[] = "/local/domain/0/backend/vbd/1/51712";
	static const char fe[] = "/local/domain/1/device/vbd/51712";
	/* xl-disk-configuration(5) + libxl's disk add, dom0 backend */
	static const struct node back[] = {
		{ "frontend", fe, 0, 1 },
		{ "params", "/dev/vg/guest-volume", 0, 1 },
		{ "script", "/etc/xen/scripts/block", 0, 1 },
		{ "frontend-id", "1", 0, 1 },
		{ "online", "1", 0, 1 },
		{ "removable", "0", 0, 1 },
		{ "bootable", "1", 0, 1 },
		{ "state", "1", 0, 1 },
		{ "dev", "xvda", 0, 1 },
		{ "type", "phy", 0, 1 },
		{ "mode", "w", 0, 1 },
		{ "device-type", "disk", 0, 1 },
		{ "discard-enable", "1", 0, 1 },
	};
	static const struct node front[] = {
		{ "backend", be, 1, 0 },
		{ "backend-id", "0", 1, 0 },
		{ "state", "1", 1, 0 },
		{ "virtual-device", "51712", 1, 0 },
		{ "device-type", "disk", 1, 0 },
		{ "trusted", "1", 1, 0 },
	};
	struct duet_xl_disk d;
	char err[256], *before, *after, *val;
	int devid = -1;

	before = dump_of(xs0, "/");
	if (duet_xl_disk_parse("/dev/vg/guest-volume,raw,xvda,rw", &d, err,
			       sizeof(err))) {
		ok(0, "parse: %s", err);
		return;
	}
	is_int(duet_xl_disk_attach(xs0, 1, &d, &devid), 0,
	       "disk attach writes the layout");
	is_int(devid, 51712, "  devid is xvda's virtual-device");
	check_dir(xs0, be, back, sizeof(back) / sizeof(back[0]), 0, 1,
		  "vbd backend");
	check_dir(xs0, fe, front, sizeof(front) / sizeof(front[0]), 1, 0,
		  "vbd frontend");
	is_int(duet_xs_read(xs0, DUET_XS_NO_TX,
			    "/libxl/1/device/vbd/51712/backend", &val) > 0,
	       1, "/libxl records the backend path");
	if (val) {
		is_str(val, be, "  /libxl backend = the backend dir");
		free(val);
	}

	/* the guest's view */
	ok(duet_xs_read(xs1, DUET_XS_NO_TX,
			"/local/domain/1/device/vbd/51712/virtual-device",
			&val) > 0,
	   "the guest reads its frontend");
	free(val);
	ok(duet_xs_read(xs1, DUET_XS_NO_TX,
			"/local/domain/0/backend/vbd/1/51712/mode", &val) > 0,
	   "the guest reads the backend's nodes");
	free(val);
	is_int(duet_xs_write(xs1, DUET_XS_NO_TX,
			     "/local/domain/0/backend/vbd/1/51712/mode", "w"),
	       -EACCES, "the guest cannot write the backend's nodes");
	is_int(duet_xs_write(xs1, DUET_XS_NO_TX,
			     "/local/domain/1/device/vbd/51712/state", "3"),
	       0, "the guest writes its frontend state");

	is_int(duet_xl_disk_attach(xs0, 1, &d, NULL), -EEXIST,
	       "attaching the same vdev again: -EEXIST");
	is_int(duet_xl_disk_attach(xs0, 7, &d, NULL), -ENOENT,
	       "attaching to a domain that does not exist: -ENOENT");

	is_int(duet_xl_detach(xs0, 1, "vbd", 51712, 0), -EBUSY,
	       "detach refuses while the frontend is Initialised (3)");
	ok(duet_xs_read(xs0, DUET_XS_NO_TX, fe, &val) >= 0,
	   "  and removes nothing");
	free(val);
	is_int(duet_xl_detach(xs0, 1, "vbd", 51712, 1), 0,
	       "forced detach removes the device");
	after = dump_of(xs0, "/");
	if (!ok(before && after && !strcmp(before, after),
		"  the store is as before attach: no stray nodes"))
		diag("after:\n%s", after);
	is_int(duet_xl_detach(xs0, 1, "vbd", 51712, 1), -ENOENT,
	       "detaching it again: -ENOENT");
	free(before);
	free(after);
	duet_xl_disk_release(&d);
}

static void qdisk_cdrom_layout(struct duet_xs *xs0)
{
	struct duet_xl_disk d;
	char err[256], *val;
	int devid;

	if (duet_xl_disk_parse("/img/a.qcow2,qcow2,hdc,cdrom,direct-io-safe",
			       &d, err, sizeof(err))) {
		ok(0, "parse: %s", err);
		return;
	}
	is_int(duet_xl_disk_attach(xs0, 1, &d, &devid), 0,
	       "qcow2 cdrom attach");
	is_int(devid, 5632, "  hdc = 22 << 8");
	is_int(duet_xs_read(xs0, DUET_XS_NO_TX,
			    "/local/domain/0/backend/qdisk/1/5632/params",
			    &val) > 0,
	       1, "  a non-raw disk goes under backend/qdisk");
	if (val) {
		is_str(val, "qcow2:/img/a.qcow2", "  params = format:target");
		free(val);
	}
	is_int(duet_xs_read(xs0, DUET_XS_NO_TX,
			    "/local/domain/0/backend/qdisk/1/5632/script",
			    &val),
	       -ENOENT, "  no script for qdisk");
	duet_xs_read(xs0, DUET_XS_NO_TX,
		     "/local/domain/0/backend/qdisk/1/5632/mode", &val);
	is_str(val, "r", "  a cdrom is read-only");
	free(val);
	duet_xs_read(xs0, DUET_XS_NO_TX,
		     "/local/domain/0/backend/qdisk/1/5632/direct-io-safe",
		     &val);
	is_str(val, "1", "  direct-io-safe");
	free(val);
	duet_xs_read(xs0, DUET_XS_NO_TX,
		     "/local/domain/1/device/vbd/5632/device-type", &val);
	is_str(val, "cdrom", "  frontend device-type cdrom");
	free(val);
	is_int(duet_xl_detach(xs0, 1, "vbd", 5632, 0), 0,
	       "detach of a device nobody uses needs no force");
	duet_xl_disk_release(&d);
}

static void vif_layout(struct duet_xs *xs0)
{
	static const char be[] = "/local/domain/2/backend/vif/1/0";
	static const char fe[] = "/local/domain/1/device/vif/0";
	/* xl-network-configuration(5) + libxl's nic add, driver domain 2 */
	static const struct node back[] = {
		{ "frontend", fe, 2, 1 },
		{ "frontend-id", "1", 2, 1 },
		{ "online", "1", 2, 1 },
		{ "state", "1", 2, 1 },
		{ "script", "/etc/xen/scripts/vif-bridge", 2, 1 },
		{ "mac", "00:16:3e:74:3d:76", 2, 1 },
		{ "rate", "20000,20000", 2, 1 },
		{ "bridge", "br0", 2, 1 },
		{ "handle", "0", 2, 1 },
		{ "type", "vif", 2, 1 },
		{ "mtu", "1500", 2, 1 },
	};
	static const struct node front[] = {
		{ "backend", be, 1, 2 },
		{ "backend-id", "2", 1, 2 },
		{ "state", "1", 1, 2 },
		{ "handle", "0", 1, 2 },
		{ "mac", "00:16:3e:74:3d:76", 1, 2 },
		{ "mtu", "1500", 2, 1 },
		{ "trusted", "1", 1, 2 },
	};
	struct duet_xl_vif v;
	char err[256], *before, *after, *val;
	int devid = -1;

	before = dump_of(xs0, "/");
	if (duet_xl_vif_parse("mac=00:16:3e:74:3d:76,bridge=br0,"
			      "backend=netdd,rate=1MB/s@20ms",
			      &v, err, sizeof(err))) {
		ok(0, "parse: %s", err);
		return;
	}
	is_int(duet_xl_vif_attach(xs0, 1, &v, &devid), 0,
	       "vif attach with backend=netdd (a driver domain by name)");
	is_int(devid, 0, "  the first vif is devid 0");
	check_dir(xs0, be, back, sizeof(back) / sizeof(back[0]), 2, 1,
		  "vif backend");
	check_dir(xs0, fe, front, sizeof(front) / sizeof(front[0]), 1, 2,
		  "vif frontend");

	/* a second NIC with every default */
	duet_xl_vif_release(&v);
	duet_xl_vif_parse("", &v, err, sizeof(err));
	is_int(duet_xl_vif_attach(xs0, 1, &v, &devid), 0,
	       "a second vif with every default");
	is_int(devid, 1, "  gets devid 1");
	duet_xs_read(xs0, DUET_XS_NO_TX, "/local/domain/0/backend/vif/1/1/mac",
		     &val);
	ok(val && strlen(val) == 17 && !strncmp(val, "00:16:3e:", 9) &&
		   strchr("01234567", val[9]),
	   "  a generated MAC in 00:16:3e with bit 7 of byte 3 clear (%s)",
	   val ? val : "none");
	free(val);
	duet_xs_read(xs0, DUET_XS_NO_TX,
		     "/local/domain/0/backend/vif/1/1/bridge", &val);
	is_str(val, "xenbr0", "  bridge xenbr0");
	free(val);

	is_int(duet_xl_detach(xs0, 1, "vif", 1, 0), 0, "detach vif 1");
	is_int(duet_xl_detach(xs0, 1, "vif", 0, 0), 0, "detach vif 0");
	after = dump_of(xs0, "/");
	if (!ok(before && after && !strcmp(before, after),
		"  the store is as before: no stray nodes"))
		diag("after:\n%s", after);
	v.backend = "nosuchdomain";
	v.backend_domid = -1;
	is_int(duet_xl_vif_attach(xs0, 1, &v, NULL), -ENOENT,
	       "a backend name no domain has: -ENOENT");
	free(before);
	free(after);
	duet_xl_vif_release(&v);
}

static void detach_distrusts_guest(struct duet_xs *xs0)
{
	struct duet_xl_disk d;
	char err[256], *val;

	duet_xl_disk_parse("/dev/x,,xvdb", &d, err, sizeof(err));
	is_int(duet_xl_disk_attach(xs0, 1, &d, NULL), 0, "attach xvdb");
	/* a hostile toolstack record must not steer the removal */
	duet_xs_write(xs0, DUET_XS_NO_TX, "/libxl/1/device/vbd/51728/backend",
		      "/local/domain/0/name");
	is_int(duet_xl_detach(xs0, 1, "vbd", 51728, 1), -EPROTO,
	       "a /libxl backend path not of the libxl form: -EPROTO");
	ok(duet_xs_read(xs0, DUET_XS_NO_TX, "/local/domain/0/name", &val) >= 0,
	   "  and the node it names is untouched");
	free(val);
	duet_xs_write(xs0, DUET_XS_NO_TX, "/libxl/1/device/vbd/51728/backend",
		      "/local/domain/0/backend/vbd/1/51728");
	is_int(duet_xl_detach(xs0, 1, "vbd", 51728, 1), 0,
	       "with the right path it detaches");
	duet_xl_disk_release(&d);
}

/* The caller's DMA backend (duet attach --dma) becomes the backend node
 * "dma" of a disk and of a vif; without one no such node is written (the
 * layouts above check every node). */
static void dma_node(struct duet_xs *xs0)
{
	struct duet_xl_disk d;
	struct duet_xl_vif v;
	char err[256], *val = NULL;
	int devid = -1;

	duet_xl_disk_parse("/dev/x,,xvdc", &d, err, sizeof(err));
	ok(!d.dma, "the disk parser leaves dma unset");
	d.dma = "vtd-lazy";
	is_int(duet_xl_disk_attach(xs0, 1, &d, &devid), 0,
	       "attach xvdc with dma vtd-lazy");
	duet_xs_read(xs0, DUET_XS_NO_TX,
		     "/local/domain/0/backend/vbd/1/51744/dma", &val);
	is_str(val, "vtd-lazy", "  backend node dma = vtd-lazy");
	free(val);
	val = NULL;
	is_int(duet_xl_detach(xs0, 1, "vbd", 51744, 1), 0, "  detach it");
	duet_xl_disk_release(&d);

	duet_xl_vif_parse("bridge=br0", &v, err, sizeof(err));
	ok(!v.dma, "the vif parser leaves dma unset");
	v.dma = "gart";
	is_int(duet_xl_vif_attach(xs0, 1, &v, &devid), 0,
	       "attach a vif with dma gart");
	duet_xs_read(xs0, DUET_XS_NO_TX, "/local/domain/0/backend/vif/1/0/dma",
		     &val);
	is_str(val, "gart", "  backend node dma = gart");
	free(val);
	is_int(duet_xl_detach(xs0, 1, "vif", devid, 1), 0, "  detach it");
	duet_xl_vif_release(&v);
}

int main(void)
{
	struct duet_xs *xs0, *xs1;

	xsh_create("xlattach");
	if (simxsd_domain_add(xsd, 2, NULL)) {
		printf("Bail out! cannot add domain 2\n");
		return 1;
	}
	simxsd_write(xsd, "/local/domain/0/name", "Domain-0", 8);
	simxsd_write(xsd, "/local/domain/1/name", "guest", 5);
	simxsd_write(xsd, "/local/domain/2/name", "netdd", 5);
	xsh_serve();
	xs0 = xsh_xs(xsh_sock0);
	xs1 = xsh_xs(xsh_sock1);

	disk_layout(xs0, xs1);
	qdisk_cdrom_layout(xs0);
	vif_layout(xs0);
	detach_distrusts_guest(xs0);
	dma_node(xs0);

	duet_xs_close(xs1);
	duet_xs_close(xs0);
	xsh_destroy();
	return done_testing();
}

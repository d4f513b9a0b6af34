/* SPDX-License-Identifier: MIT */
/*
 * The xl disk spec parser: every form of xl-disk-configuration(5)'s
 * examples means the same disk, the deprecated forms still work, vdevs
 * encode as libxl and Linux expect, and each class of malformed spec is
 * refused with a reason naming the bad part.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "duet/xlspec.h"
#include "tap.h"

static char err[256];

/* Parse @spec, expecting success. */
static int parse_ok(const char *spec, struct duet_xl_disk *d)
{
	int rc = duet_xl_disk_parse(spec, d, err, sizeof(err));

	if (!ok(rc == 0, "parses: %s", spec))
		diag("rc %d: %s", rc, err);
	return rc;
}

/* Parse @spec, expecting -EINVAL with @needle in the reason. */
static void parse_bad(const char *spec, const char *needle)
{
	struct duet_xl_disk d;
	int rc = duet_xl_disk_parse(spec, &d, err, sizeof(err));

	if (!ok(rc == -EINVAL && strstr(err, needle) && !strchr(err, '\n'),
		"refused: '%s' -> reason names '%s'", spec, needle))
		diag("rc %d, reason '%s'", rc, err);
	ok(d.storage_ == NULL && d.vdev == NULL,
	   "  nothing left to release after the failure");
}

/* The four equivalent specs of the man page's first example. */
static void man_page_equivalents_disk(void)
{
	static const char *const specs[] = {
		"/dev/vg/guest-volume,,hda",
		"/dev/vg/guest-volume,raw,hda,rw",
		"format=raw, vdev=hda, access=rw, target=/dev/vg/guest-volume",
		"raw:/dev/vg/guest-volume,hda,w",
	};
	struct duet_xl_disk d;
	unsigned i;

	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		if (parse_ok(specs[i], &d))
			continue;
		is_str(d.target, "/dev/vg/guest-volume", "  target");
		is_int(d.format, DUET_XL_FORMAT_RAW, "  format raw");
		is_str(d.vdev, "hda", "  vdev hda");
		is_int(d.virtual_device, 768, "  hda is 3 << 8");
		is_int(d.readwrite, 1, "  read-write");
		is_int(d.is_cdrom, 0, "  a disk");
		is_int(d.discard, 1, "  discard defaults to readwrite");
		duet_xl_disk_release(&d);
	}
}

/* The man page's cdrom examples. */
static void man_page_equivalents_cdrom(void)
{
	static const char *const specs[] = {
		"/root/image.iso,,hdc,cdrom",
		"/root/image.iso,,hdc,,cdrom",
		"/root/image.iso,raw,hdc,devtype=cdrom",
		"format=raw, vdev=hdc, access=ro, devtype=cdrom, "
		"target=/root/image.iso",
		"raw:/root/image.iso,hdc:cdrom,ro",
	};
	struct duet_xl_disk d;
	unsigned i;

	for (i = 0; i < sizeof(specs) / sizeof(specs[0]); i++) {
		if (parse_ok(specs[i], &d))
			continue;
		is_str(d.target, "/root/image.iso", "  target");
		is_str(d.vdev, "hdc", "  vdev hdc");
		is_int(d.virtual_device, 22 << 8, "  hdc is 22 << 8");
		is_int(d.is_cdrom, 1, "  a cdrom");
		is_int(d.readwrite, 0, "  a cdrom is read-only by default");
		duet_xl_disk_release(&d);
	}
}

static void empty_cdrom(void)
{
	struct duet_xl_disk d;

	if (!parse_ok(",hdc:cdrom,r", &d)) {
		is_str(d.target, "", "  empty target");
		is_int(d.format, DUET_XL_FORMAT_EMPTY, "  format empty");
		is_int(d.is_cdrom, 1, "  cdrom");
		is_int(d.readwrite, 0, "  read-only");
		duet_xl_disk_release(&d);
	}
	if (!parse_ok("vdev=xvdc,devtype=cdrom", &d)) {
		is_int(d.format, DUET_XL_FORMAT_EMPTY, "  no target: empty");
		duet_xl_disk_release(&d);
	}
}

static void keywords_and_flags(void)
{
	struct duet_xl_disk d;

	if (!parse_ok("vdev=xvdb,backend=2,backendtype=phy,script=block-x,"
		      "no-discard,direct-io-safe,untrusted,access=r,"
		      "target=/srv/a,b c,", &d)) {
		is_str(d.target, "/srv/a,b c", "  target= keeps commas, "
		       "drops one trailing comma");
		is_str(d.vdev, "xvdb", "  vdev");
		is_int(d.virtual_device, 51728, "  xvdb = 51728");
		is_str(d.backend, "2", "  backend as written");
		is_int(d.backend_domid, 2, "  backend domid");
		is_int(d.backendtype, DUET_XL_BACKENDTYPE_PHY, "  phy");
		is_str(d.script, "block-x", "  script");
		is_int(d.discard, 0, "  no-discard");
		is_int(d.direct_io_safe, 1, "  direct-io-safe");
		is_int(d.trusted, 0, "  untrusted");
		is_int(d.readwrite, 0, "  access=r");
		duet_xl_disk_release(&d);
	}
	if (!parse_ok("/img.qcow2,qcow2,xvdc,backendtype=qdisk,"
		      "backend=driverdom,discard", &d)) {
		is_int(d.format, DUET_XL_FORMAT_QCOW2, "  qcow2");
		is_int(d.backendtype, DUET_XL_BACKENDTYPE_QDISK, "  qdisk");
		is_int(d.backend_domid, -1, "  a backend name is resolved "
		       "later");
		is_str(d.backend, "driverdom", "  backend name");
		is_int(d.discard, 1, "  discard");
		is_int(d.trusted, 1, "  trusted by default");
		duet_xl_disk_release(&d);
	}
	/* positional parameters may follow keywords, filling the gaps */
	if (!parse_ok("vdev=xvda,/dev/sdb,raw", &d)) {
		is_str(d.target, "/dev/sdb", "  target after vdev=");
		is_str(d.vdev, "xvda", "  vdev");
		duet_xl_disk_release(&d);
	}
	if (!parse_ok("format=vhd,/x.vhd,xvde,ro", &d)) {
		is_int(d.format, DUET_XL_FORMAT_VHD, "  format= then "
		       "positionals skip format");
		is_str(d.vdev, "xvde", "  vdev is the second positional");
		is_int(d.readwrite, 0, "  access the third");
		duet_xl_disk_release(&d);
	}
}

static void deprecated_prefixes(void)
{
	struct duet_xl_disk d;

	if (!parse_ok("phy:/dev/vg/lv,xvda,w", &d)) {
		is_str(d.target, "/dev/vg/lv", "  phy: is stripped");
		is_str(d.vdev, "xvda", "  second positional is the vdev");
		is_int(d.readwrite, 1, "  w");
		duet_xl_disk_release(&d);
	}
	if (!parse_ok("tap:aio:/images/a.img,xvdb,r", &d)) {
		is_str(d.target, "/images/a.img", "  tap:aio: stripped");
		is_int(d.readwrite, 0, "  r");
		duet_xl_disk_release(&d);
	}
	if (!parse_ok("iscsi:iqn.2001-04.com.example:disk,xvdc,w", &d)) {
		is_str(d.script, "block-iscsi", "  iscsi: sets the script");
		is_str(d.target, "iqn.2001-04.com.example:disk",
		       "  target keeps its own colon");
		duet_xl_disk_release(&d);
	}
	if (!parse_ok("qcow2:/x.qcow2,xvdd,w", &d)) {
		is_int(d.format, DUET_XL_FORMAT_QCOW2, "  qcow2: prefix");
		duet_xl_disk_release(&d);
	}
}

static void vdev_encoding(void)
{
	static const struct {
		const char *vdev;
		int num, disk, part;
	} t[] = {
		{ "xvda", 51712, 0, 0 },
		{ "xvdb", 51728, 1, 0 },
		{ "xvda1", 51713, 0, 1 },
		{ "xvdp15", (202 << 8) | (15 << 4) | 15, 15, 15 },
		{ "xvdq", (1 << 28) | (16 << 8), 16, 0 },
		{ "xvda16", (1 << 28) | 16, 0, 16 },
		{ "xvdaa", (1 << 28) | (26 << 8), 26, 0 },
		/* libxl accepts two-letter disks: zz = 701 */
		{ "xvdzz9", (1 << 28) | (701 << 8) | 9, 701, 9 },
		{ "d0p1", 51713, 0, 1 },
		{ "d20p3", (1 << 28) | (20 << 8) | 3, 20, 3 },
		{ "hda", 3 << 8, 0, 0 },
		{ "hdb2", (3 << 8) | (1 << 6) | 2, 1, 2 },
		{ "hdd", (22 << 8) | (1 << 6), 3, 0 },
		{ "sda", 8 << 8, 0, 0 },
		{ "sdp15", (8 << 8) | (15 << 4) | 15, 15, 15 },
		{ "51712", 51712, -1, -1 },
		{ "0xca10", 0xca10, -1, -1 },
	};
	unsigned i;
	int disk, part;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		disk = part = 99;
		is_int(duet_xl_vdev_encode(t[i].vdev, &disk, &part), t[i].num,
		       "vdev %s encodes as %d", t[i].vdev, t[i].num);
		ok(disk == t[i].disk && part == t[i].part,
		   "  disk %d partition %d", t[i].disk, t[i].part);
	}
}

static void vdev_refused(void)
{
	static const char *const bad[] = {
		"xvd", "xvdA", "xvda0", "xvda01", "xvda256", "xvdaaaaaa",
		"hde", "hda64", "sdq", "sda16", "vda", "xvda-1", "d1p",
		"dp1", "2147483648", "0x", "09",
	};
	unsigned i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(duet_xl_vdev_encode(bad[i], NULL, NULL), -EINVAL,
		       "vdev %s is refused", bad[i]);
}

static void malformed(void)
{
	char *big;

	parse_bad("", "missing vdev");
	parse_bad("/dev/x", "missing vdev");
	parse_bad("/dev/x,raw", "missing vdev");
	parse_bad(",,xvda", "missing target");
	parse_bad("vdev=xvda", "missing target");
	parse_bad("/dev/x,,xvdzzzzz9", "vdev \"xvdzzzzz9\"");
	parse_bad("/dev/x,,hde", "vdev \"hde\"");
	parse_bad("/dev/x,,xvda0", "vdev \"xvda0\"");
	parse_bad("/dev/x,,xvda,rw,cdrom2", "too many positional");
	parse_bad("/dev/x,vmdk,xvda", "format \"vmdk\"");
	parse_bad("/dev/x,,xvda,rx", "access \"rx\"");
	parse_bad("/dev/x,,xvda,colour=red", "unknown parameter \"colour\"");
	parse_bad("/dev/x,,xvda,mode=r", "unknown parameter \"mode\"");
	parse_bad("/dev/x,,xvda,devtype=floppy", "devtype=\"floppy\"");
	parse_bad("/dev/x,,xvda,backendtype=nbd", "backendtype=\"nbd\"");
	parse_bad("/dev/x,,xvda,backend=40000", "backend=\"40000\"");
	parse_bad("/dev/x,,xvda,backend=a/b", "backend=\"a/b\"");
	parse_bad("/dev/x,,xvda,vdev=xvdb", "vdev respecified");
	parse_bad("/dev/x,,xvda,target=/dev/y", "target respecified");
	parse_bad("/dev/x,qcow,xvda,format=vhd", "format respecified");
	parse_bad("/dev/x,,xvda,ro,access=rw", "access respecified");
	parse_bad("/dev/x,,xvda,discard,no-discard", "no-discard contradicts");
	parse_bad("foo:/dev/x,xvda", "unknown deprecated disk prefix \"foo:\"");
	parse_bad("/dev/x,,xvda:floppy", "vdev suffix \"floppy\"");
	parse_bad("/dev/x,,xvda,Target=/y", "bad disk syntax at \"Target=/y\"");
	parse_bad("/dev/x=y,,xvda", "bad disk syntax");
	parse_bad("/dev/x,,xvda,colo", "COLO is not supported");
	parse_bad("/dev/x,,xvda,colo-host=h", "COLO is not supported");
	parse_bad("/dev/x,qcow2,xvda,backendtype=phy", "backendtype=phy takes");
	parse_bad("/dev/x,,xvda,script=s,backendtype=qdisk",
		  "backendtype=qdisk does not take script=");
	parse_bad("/dev/x,,xvda,cdrom,backendtype=tap",
		  "backendtype=tap does not take a cdrom");
	parse_bad("/dev/x,empty,xvda", "format=empty with target");
	parse_bad("/dev/x\n,,xvda", "control character");
	parse_bad("/dev/x,,xvda,target=/a\tb", "control character in target");

	/* a bad part longer than the excerpt is cut, the reason one line */
	big = malloc(DUET_XL_SPEC_MAX + 2);
	if (big) {
		memset(big, 'x', DUET_XL_SPEC_MAX + 1);
		big[DUET_XL_SPEC_MAX + 1] = '\0';
		parse_bad(big, "longer than 4096 bytes");
		big[DUET_XL_SPEC_MAX] = '\0';
		memcpy(big, "/d,,", 4);
		parse_bad(big, "...\"");
		ok(strlen(err) < 200, "  the reason stays short (%zu bytes)",
		   strlen(err));
		free(big);
	}
}

static void err_buffer_bounds(void)
{
	struct duet_xl_disk d;
	char small[8];

	memset(small, 'Z', sizeof(small));
	is_int(duet_xl_disk_parse("/x,,bogus", &d, small, 5), -EINVAL,
	       "a 5-byte reason buffer still gets -EINVAL");
	ok(small[4] == '\0' && small[5] == 'Z',
	   "  the reason is cut at the buffer's size and terminated");
	is_int(duet_xl_disk_parse("/x,,bogus", &d, NULL, 0), -EINVAL,
	       "no reason buffer at all is fine");
	duet_xl_disk_release(NULL);
	memset(&d, 0, sizeof(d));
	duet_xl_disk_release(&d);
	ok(1, "release accepts NULL and a zeroed struct");
}

/* Network targets: the forms QEMU's qdisk takes, and their mistakes. */
static void network_targets(void)
{
	static const struct {
		const char *target;
		int kind;
	} good[] = {
		{ "nbd://127.0.0.1:10809/export", DUET_XL_TARGET_NBD },
		{ "nbd://[::1]:10809/", DUET_XL_TARGET_NBD },
		{ "nbd://host", DUET_XL_TARGET_NBD },
		{ "nbds://alice@host/e?tls-psk-file=/k", DUET_XL_TARGET_NBD },
		{ "nbd+unix:///e?socket=/run/s", DUET_XL_TARGET_NBD },
		{ "nbd+vsock://3:10809/e", DUET_XL_TARGET_NBD },
		{ "nbd:127.0.0.1:10809", DUET_XL_TARGET_NBD },
		{ "nbd:h:1:exportname=e", DUET_XL_TARGET_NBD },
		{ "nbd:unix:/run/s:exportname=e", DUET_XL_TARGET_NBD },
		{ "rbd:pool/image", DUET_XL_TARGET_RBD },
		{ "rbd:image", DUET_XL_TARGET_RBD },
		{ "rbd:pool/ns/image@snap:id=admin:conf=/etc/ceph/ceph.conf",
		  DUET_XL_TARGET_RBD },
		{ "rbd:p/i:mon_host=1.2.3.4\\:6789", DUET_XL_TARGET_RBD },
		{ "/dev/vg/guest", DUET_XL_TARGET_PATH },
	};
	char spec[256];
	struct duet_xl_disk d;
	unsigned i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		is_int(duet_xl_disk_target_kind(good[i].target, err,
						sizeof(err)),
		       good[i].kind, "%s is a %s target", good[i].target,
		       duet_xl_disk_target_name(good[i].kind));
	}
	snprintf(spec, sizeof(spec), "vdev=xvdb, backendtype=qdisk, "
		 "target=nbd://127.0.0.1:10809/export");
	if (!parse_ok(spec, &d)) {
		is_int(d.target_kind, DUET_XL_TARGET_NBD, "  an NBD target");
		is_int(d.backendtype, DUET_XL_BACKENDTYPE_QDISK, "  qdisk");
		duet_xl_disk_release(&d);
	}
	parse_bad("vdev=xvdb, target=nbd://:1/e", "no host");
	parse_bad("vdev=xvdb, target=nbd://h:65536/e", "bad port");
	parse_bad("vdev=xvdb, target=nbd://h:x/e", "bad port");
	parse_bad("vdev=xvdb, target=nbd://h/e f", "cannot hold");
	parse_bad("vdev=xvdb, target=nbd://[::1/e", "unclosed");
	parse_bad("vdev=xvdb, target=nbd+unix:///e", "no socket=");
	parse_bad("vdev=xvdb, target=nbd+unix://h/e?socket=/s", "no host");
	parse_bad("vdev=xvdb, target=nbd+vsock://h/e", "CID");
	parse_bad("vdev=xvdb, target=nbd:h", "nbd:HOST:PORT");
	parse_bad("vdev=xvdb, target=nbd:h:1:x=y", "exportname");
	parse_bad("vdev=xvdb, target=nbd:unix:", "nbd:unix:PATH");
	parse_bad("vdev=xvdb, target=rbd:", "rbd:POOL/IMAGE");
	parse_bad("vdev=xvdb, target=rbd:pool/", "rbd:POOL/IMAGE");
	parse_bad("vdev=xvdb, target=rbd:p/i@", "rbd:POOL/IMAGE");
	parse_bad("vdev=xvdb, target=rbd:p/i:id", ":KEY=VALUE");
	parse_bad("vdev=xvdb, backendtype=phy, target=rbd:p/i",
		  "needs backendtype=qdisk");
	parse_bad("vdev=xvdb, format=qcow2, target=nbd://h/e",
		  "served raw");
	parse_bad("vdev=xvdb, script=block-nbd, target=nbd://h/e",
		  "no script=");
}

int main(void)
{
	man_page_equivalents_disk();
	man_page_equivalents_cdrom();
	empty_cdrom();
	keywords_and_flags();
	deprecated_prefixes();
	vdev_encoding();
	vdev_refused();
	malformed();
	network_targets();
	err_buffer_bounds();
	return done_testing();
}

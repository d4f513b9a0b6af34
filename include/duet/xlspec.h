/* SPDX-License-Identifier: MIT */
/*
 * duet/xlspec.h - xl's device specification strings.
 *
 * Parsers for the strings users already write in xl domain configs:
 * the disk specification of xl-disk-configuration(5) ("disk = [ ... ]")
 * and the network specification of xl-network-configuration(5)
 * ("vif = [ ... ]").  A spec is hostile input: every malformed spec is
 * rejected with a one-line reason that names the bad part, parsing takes
 * time linear in the length of the spec, and specs longer than
 * DUET_XL_SPEC_MAX bytes are refused.
 *
 * The results are plain structs with documented fields.  Their strings
 * point into storage owned by the struct (or to static strings); release
 * it with duet_xl_disk_release() / duet_xl_vif_release().  No field is a
 * fixed-size buffer a spec can overflow.
 *
 * The parsers do not talk to xenstore; duet_xl_disk_attach(),
 * duet_xl_vif_attach() and duet_xl_detach() at the end write and remove
 * the xenstore layout libxl gives a parsed device.
 */
#ifndef DUET_XLSPEC_H
#define DUET_XLSPEC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest spec accepted, in bytes (without the terminating NUL). */
#define DUET_XL_SPEC_MAX 4096

/** Domain ids from here up are reserved by Xen (DOMID_FIRST_RESERVED). */
#define DUET_XL_DOMID_MAX 0x7fefu

/* ------------------------------------------------------------------ */
/* Disks: xl-disk-configuration(5)                                     */
/* ------------------------------------------------------------------ */

/** enum duet_xl_disk_format - the format= parameter. */
enum duet_xl_disk_format {
	DUET_XL_FORMAT_RAW = 0,	/* "raw", the default (also for "") */
	DUET_XL_FORMAT_QCOW,	/* "qcow" */
	DUET_XL_FORMAT_QCOW2,	/* "qcow2" */
	DUET_XL_FORMAT_VHD,	/* "vhd" */
	DUET_XL_FORMAT_QED,	/* "qed" */
	DUET_XL_FORMAT_EMPTY,	/* "empty": a cdrom drive with no medium */
};

/** enum duet_xl_disk_backendtype - the backendtype= parameter. */
enum duet_xl_disk_backendtype {
	DUET_XL_BACKENDTYPE_AUTO = 0,	/* not given: chosen at attach */
	DUET_XL_BACKENDTYPE_PHY,	/* "phy": nodes under backend/vbd */
	DUET_XL_BACKENDTYPE_TAP,	/* "tap": nodes under backend/vbd */
	DUET_XL_BACKENDTYPE_QDISK,	/* "qdisk": under backend/qdisk */
};

/**
 * enum duet_xl_disk_target - what a disk's target names (see
 * duet_xl_disk_target_kind() for the forms).
 */
enum duet_xl_disk_target {
	DUET_XL_TARGET_PATH = 0,	/* a file or block device */
	DUET_XL_TARGET_NBD,		/* an NBD export */
	DUET_XL_TARGET_RBD,		/* a Ceph RBD image */
};

/**
 * struct duet_xl_disk - a parsed disk spec.  Every string is
 * NUL-terminated and lives as long as the struct (until
 * duet_xl_disk_release()); none is NULL unless said so.
 */
struct duet_xl_disk {
	/** @target: block device or image path, verbatim (may contain
	 *  commas when given as target=); "" for an empty cdrom drive. */
	const char *target;
	/** @vdev: the guest's name for the disk, verbatim ("xvda", "hdc",
	 *  "sdb1", "d3p1", "51712"). */
	const char *vdev;
	/** @virtual_device: @vdev encoded as Linux's xen-blkfront and
	 *  libxl expect (the frontend's "virtual-device" node and the
	 *  <devid> in both paths): xvd disks < 16 with partitions < 16
	 *  (202 << 8) | (disk << 4) | part; other xvd and dNpM
	 *  (1 << 28) | (disk << 8) | part; hd (3 or 22 << 8) |
	 *  ((disk & 1) << 6) | part; sd (8 << 8) | (disk << 4) | part;
	 *  a plain number is taken as it is. */
	int virtual_device;
	/** @vdev_disk, @vdev_partition: the disk index (xvda = 0) and the
	 *  partition (0 = whole disk) of @vdev; -1 for a plain number. */
	int vdev_disk;
	int vdev_partition;
	/** @format: the image format (default raw; empty cdrom: empty). */
	enum duet_xl_disk_format format;
	/** @readwrite: 1 for access rw/w, 0 for ro/r.  Default: 1, or 0
	 *  for a cdrom. */
	int readwrite;
	/** @is_cdrom: 1 for devtype=cdrom (or the "cdrom" flag, or the
	 *  deprecated "<vdev>:cdrom"), else 0. */
	int is_cdrom;
	/** @backend: the backend domain as written (name or domid);
	 *  NULL when not given (domain 0). */
	const char *backend;
	/** @backend_domid: @backend as a domid when it is a number (or
	 *  0 when @backend is NULL); -1 when it is a name, to be resolved
	 *  through xenstore at attach time. */
	int backend_domid;
	/** @backendtype: the backend implementation asked for. */
	enum duet_xl_disk_backendtype backendtype;
	/** @script: the block script (script=, or "block-<x>" from a
	 *  deprecated iscsi:/nbd:/enbd:/drbd: prefix); NULL if none. */
	const char *script;
	/** @discard: 1 when the backend should advertise discard.  Default
	 *  (neither discard nor no-discard): @readwrite, as libxl does. */
	int discard;
	/** @direct_io_safe: 1 when the direct-io-safe flag was given. */
	int direct_io_safe;
	/** @trusted: 0 for the "untrusted" flag, else 1 ("trusted" or
	 *  default): whether the frontend may trust the backend. */
	int trusted;
	/** @target_kind: what @target names; a network target (NBD, RBD)
	 *  is served by backendtype qdisk (auto becomes qdisk) in raw
	 *  format. */
	enum duet_xl_disk_target target_kind;
	/** @dma: not part of xl's syntax and never set by the parser: the
	 *  caller's DMA backend for the device (`duet attach --dma`), written
	 *  as the backend node "dma" (duet/blkif.h); NULL writes none.  The
	 *  caller owns the string. */
	const char *dma;
	/** @storage_: private, the parser's copy of the spec. */
	char *storage_;
};

/**
 * duet_xl_disk_parse() - parse an xl disk spec.
 * @spec:   the DISKSPEC, e.g. "/dev/vg/guest,raw,xvda,rw" or
 *          "format=raw, vdev=hda, access=rw, target=/dev/vg/guest"
 *          (without the "disk=" of a duet attach argument).
 * @out:    receives the result; on success the caller owns it and
 *          releases it with duet_xl_disk_release().
 * @err:    receives a one-line reason naming the bad part on failure
 *          ("" on success); may be NULL if @errlen is 0.  Truncated to
 *          @errlen bytes, always NUL-terminated when @errlen > 0.
 *
 * Accepts the positional form [<target>,[<format>,[<vdev>,[<access>]]]]
 * mixed with key=value parameters and flags as xl does (target= must
 * come last: it takes the rest of the spec, commas included), and the
 * deprecated prefixes (raw: qcow: qcow2: vhd: format, iscsi: nbd: enbd:
 * drbd: script, tapdisk: tap: tap2: aio: ioemu: file: phy: ignored) and
 * "<vdev>:<devtype>".  COLO parameters are refused (not supported).
 *
 * Context: any; does not block; reentrant.
 * Return: 0, or -EINVAL (malformed spec, reason in @err) or -ENOMEM;
 * on failure @out holds nothing to release.
 */
int duet_xl_disk_parse(const char *spec, struct duet_xl_disk *out,
		       char *err, size_t errlen);

/**
 * duet_xl_disk_target_kind() - what a disk target names, with its shape
 * checked (duet_xl_disk_parse() calls it on target).
 * @target: the target, e.g. "/dev/vg/guest",
 *          "nbd://127.0.0.1:10809/export",
 *          "nbd+unix:///export?socket=/run/nbd.sock",
 *          "nbd:127.0.0.1:10809:exportname=export" (QEMU's older form),
 *          "rbd:pool/image@snap:id=admin:conf=/etc/ceph/ceph.conf".
 * @err, @errlen: as for duet_xl_disk_parse().
 *
 * NBD targets are NBD URIs (nbd, nbds, nbd+unix, nbds+unix, nbd+vsock,
 * nbds+vsock schemes; a host, and a port in 1..65535 when given; a unix
 * URI has no host and a socket= query) or QEMU's nbd:HOST:PORT /
 * nbd:unix:PATH with an optional :exportname=NAME.  RBD targets are
 * QEMU's rbd:[POOL/[NAMESPACE/]]IMAGE[@SNAP] followed by :KEY=VALUE
 * options (id=, conf=, keyring=, mon_host=, other Ceph options; "\:"
 * escapes a colon).  Anything else is a path.  Only the shape is checked.
 *
 * Context: any; pure.  Return: an enum duet_xl_disk_target, or -EINVAL
 * with the reason in @err.
 */
int duet_xl_disk_target_kind(const char *target, char *err, size_t errlen);

/** duet_xl_disk_target_name() - "path", "nbd" or "rbd". */
const char *duet_xl_disk_target_name(enum duet_xl_disk_target k);

/** duet_xl_disk_release() - free what a successful parse holds; accepts
 *  a zeroed struct; leaves @d zeroed. */
void duet_xl_disk_release(struct duet_xl_disk *d);

/**
 * duet_xl_vdev_encode() - encode a vdev name as libxl and Linux do (see
 * struct duet_xl_disk's @virtual_device).
 * @vdev:      "xvda", "xvdq", "xvdaa3", "hdc", "sdb1", "d0p1", "51712"...
 * @disk:      receives the disk index or -1 for a plain number; may be
 *             NULL.
 * @partition: receives the partition or -1 for a plain number; may be
 *             NULL.
 * Context: any.  Return: the virtual-device number (>= 0), or -EINVAL.
 */
int duet_xl_vdev_encode(const char *vdev, int *disk, int *partition);

/** duet_xl_disk_format_name() - "raw", "qcow", ... for @f, or "?". */
const char *duet_xl_disk_format_name(enum duet_xl_disk_format f);

/** duet_xl_disk_backendtype_name() - "auto", "phy", "tap", "qdisk". */
const char *duet_xl_disk_backendtype_name(enum duet_xl_disk_backendtype t);

/* ------------------------------------------------------------------ */
/* Network interfaces: xl-network-configuration(5)                     */
/* ------------------------------------------------------------------ */

/** enum duet_xl_vif_type - the type= parameter. */
enum duet_xl_vif_type {
	DUET_XL_VIF_TYPE_DEFAULT = 0,	/* not given: "vif" for PV guests */
	DUET_XL_VIF_TYPE_VIF,		/* "vif": paravirtual only */
	DUET_XL_VIF_TYPE_IOEMU,		/* "ioemu": emulated + PV (HVM) */
};

/** Default MTU written when mtu= is not given (libxl's default). */
#define DUET_XL_VIF_MTU_DEFAULT 1500u
/** Accepted mtu= range: IPv4's minimum to the largest netfront takes. */
#define DUET_XL_VIF_MTU_MIN 68u
#define DUET_XL_VIF_MTU_MAX 65535u
/** Default rate= replenishment interval, microseconds (50 ms). */
#define DUET_XL_VIF_RATE_INTERVAL_DEFAULT 50000u

/**
 * struct duet_xl_vif - a parsed network spec.  Strings live as long as
 * the struct (until duet_xl_vif_release()); NULL when not given.
 */
struct duet_xl_vif {
	/** @mac: the guest-side MAC address, valid when @mac_set. */
	uint8_t mac[6];
	/** @mac_set: 1 when mac= was given; 0 means "generate one in
	 *  Xen's OUI 00:16:3e" at attach time. */
	int mac_set;
	/** @bridge: bridge= (NULL: libxl's default "xenbr0"). */
	const char *bridge;
	/** @ip: ip=, one or more space-separated IPv4/IPv6 addresses,
	 *  each optionally with a /prefix. */
	const char *ip;
	/** @backend: backend= as written (name or domid); NULL: dom0. */
	const char *backend;
	/** @backend_domid: @backend as a number, 0 when NULL, -1 for a
	 *  name to be resolved at attach time. */
	int backend_domid;
	/** @type: type=. */
	enum duet_xl_vif_type type;
	/** @vifname: vifname=, the backend's interface name (at most 15
	 *  characters, Linux's IFNAMSIZ - 1). */
	const char *vifname;
	/** @script: script= (NULL: libxl's default "vif-bridge"). */
	const char *script;
	/** @gatewaydev: gatewaydev= (or its deprecated alias netdev=). */
	const char *gatewaydev;
	/** @mtu: mtu=, DUET_XL_VIF_MTU_DEFAULT when not given. */
	unsigned mtu;
	/** @rate_bytes_per_interval, @rate_interval_usecs: rate= as libxl
	 *  stores it (credit per interval); both 0 when unlimited. */
	uint64_t rate_bytes_per_interval;
	uint32_t rate_interval_usecs;
	/** @devid: devid=, or -1 to pick the lowest free one at attach. */
	int devid;
	/** @dma: as struct duet_xl_disk's @dma (caller's, never parsed). */
	const char *dma;
	/** @storage_: private, the parser's copy of the spec. */
	char *storage_;
};

/**
 * duet_xl_vif_parse() - parse an xl network spec.
 * @spec:   the vifspec, e.g. "mac=00:16:3e:74:3d:76,bridge=xenbr0" or ""
 *          (all defaults); without the "vif=" of a duet attach argument.
 * @out:    receives the result; release with duet_xl_vif_release().
 * @err, @errlen: as for duet_xl_disk_parse().
 *
 * Keys: mac, bridge, ip, backend, type, vifname, script, gatewaydev
 * (netdev), mtu, rate, devid; model= and accel= are accepted and
 * ignored.  Each key may appear once.  COLO keys are refused.
 *
 * Context: any; does not block; reentrant.
 * Return: 0, -EINVAL (reason in @err) or -ENOMEM; on failure @out holds
 * nothing to release.
 */
int duet_xl_vif_parse(const char *spec, struct duet_xl_vif *out,
		      char *err, size_t errlen);

/** duet_xl_vif_release() - free what a successful parse holds; accepts a
 *  zeroed struct; leaves @v zeroed. */
void duet_xl_vif_release(struct duet_xl_vif *v);

/**
 * duet_xl_vif_parse_rate() - parse a rate= value ("10Mb/s",
 * "1MB/s@20ms") as libxl does: RATE is a decimal number with an optional
 * G/M/K (powers of 1000) and B (bytes) or b (bits), then "/s"; INTERVAL
 * is a number with an optional unit s (default), ms or us.
 * @bytes_per_interval, @interval_usecs: receive the credit and period.
 * @err, @errlen: as for duet_xl_disk_parse().
 * Return: 0 or -EINVAL.
 */
int duet_xl_vif_parse_rate(const char *rate, uint64_t *bytes_per_interval,
			   uint32_t *interval_usecs, char *err, size_t errlen);

/** duet_xl_vif_type_name() - "default", "vif" or "ioemu". */
const char *duet_xl_vif_type_name(enum duet_xl_vif_type t);

/* ------------------------------------------------------------------ */
/* The libxl xenstore layout of a device                               */
/* ------------------------------------------------------------------ */

struct duet_xs;

/*
 * Attach writes, in one transaction (run again on EAGAIN), what libxl's
 * device add writes for the device:
 *   /local/domain/<backend>/backend/<kind>/<domid>/<devid>/   backend dir
 *   /local/domain/<domid>/device/<vbd|vif>/<devid>/          frontend dir
 *   /libxl/<domid>/device/<vbd|vif>/<devid>/{frontend,backend}
 * <kind> is vbd (disks with backendtype phy/tap), qdisk (qdisk) or vif.
 * Permissions as libxl sets them: the frontend dir and its nodes are owned
 * by the frontend domain and readable by the backend; the backend dir and
 * its nodes owned by the backend domain, readable by the frontend (mtu in
 * a vif's frontend dir is owned by the backend, readable by the
 * frontend); /libxl/... is left to xenstore's defaults (the toolstack's).
 * Nodes, vbd backend: frontend, params, script (phy only), frontend-id,
 * online=1, removable, bootable=1, state=1, dev, type (phy|qdisk), mode
 * (w|r), device-type (disk|cdrom), direct-io-safe (when set),
 * discard-enable.  vbd frontend: backend, backend-id, state=1,
 * virtual-device, device-type, trusted.  vif backend: frontend,
 * frontend-id, online=1, state=1, script, vifname (when set), mac, ip,
 * gatewaydev, rate ("<bytes>,<usecs>", when set), bridge, handle, type
 * (vif|vif_ioemu), mtu.  vif frontend: backend, backend-id, state=1,
 * handle, mac, mtu, trusted.
 *
 * Both need a connection allowed to write under both domains' paths
 * (dom0, the toolstack domain).  They do not wait for the backend.
 */

/**
 * duet_xl_disk_attach() - write the libxl layout of a parsed disk.
 * @xs:        xenstore connection of the toolstack domain.
 * @domid:     the frontend (guest) domain; /local/domain/<domid> must
 *             exist.
 * @d:         the disk; a backend given by name is looked up among
 *             /local/domain/<n>/name.  backendtype auto becomes phy for a
 *             raw (or empty cdrom) disk, else qdisk, as libxl chooses when
 *             blktap is absent; a network target (NBD, RBD) becomes qdisk
 *             (libxl needs backendtype=qdisk written out for one), with
 *             params "aio:<target>" as libxl writes for qdisk.
 * @devid_out: receives the device id (the vdev's virtual-device number);
 *             may be NULL.
 * Context: blocks on xenstore round trips.
 * Return: 0; -EEXIST when the device is already there (frontend, backend
 * or /libxl path); -ENOENT when the frontend domain or the backend domain
 * name does not exist; -EINVAL for a backendtype duet cannot serve (tap);
 * -EAGAIN after too many conflicting retries; or another -errno from
 * xenstore.  On error nothing was written.
 */
int duet_xl_disk_attach(struct duet_xs *xs, unsigned domid,
			const struct duet_xl_disk *d, int *devid_out);

/**
 * duet_xl_vif_attach() - write the libxl layout of a parsed NIC.
 * @xs, @domid: as for duet_xl_disk_attach().
 * @v:          the NIC.  Defaults as libxl: bridge xenbr0, script
 *              /etc/xen/scripts/vif-bridge, a random MAC in 00:16:3e,
 *              devid one above the highest in use when devid= is absent.
 * @devid_out:  receives the devid; may be NULL.
 * Context and return: as for duet_xl_disk_attach().
 */
int duet_xl_vif_attach(struct duet_xs *xs, unsigned domid,
		       const struct duet_xl_vif *v, int *devid_out);

/**
 * duet_xl_detach() - remove a device's frontend, backend and /libxl
 * nodes in one transaction (run again on EAGAIN).
 * @xs:    xenstore connection of the toolstack domain.
 * @domid: the frontend domain.
 * @kind:  "vbd" or "vif" (the frontend's device class).
 * @devid: the device id.
 * @force: 0: refuse with -EBUSY when either end's state is past
 *         Initialising and not Closed, i.e. a driver uses the device
 *         (`duet detach` runs the XenBus close handshake first: see
 *         toolstack/cli/cmd-detach.c); 1: remove whatever the states (dead
 *         peers).
 * The backend path is taken from /libxl/<domid>/device/<kind>/<devid>/
 * backend, which only the toolstack can write, and must name
 * /local/domain/<n>/backend/<vbd|qdisk|vif>/<domid>/<devid>; the path the
 * guest-writable frontend names is not trusted.
 * Context: blocks on xenstore round trips.
 * Return: 0; -ENOENT when there is no such device; -EBUSY (see @force);
 * -EPROTO when the /libxl backend path is malformed; -EAGAIN after too
 * many retries; another -errno from xenstore.  On error nothing changed.
 */
int duet_xl_detach(struct duet_xs *xs, unsigned domid, const char *kind,
		   int devid, int force);

/**
 * duet_xl_domid_by_name() - find a domain by its xenstore name.
 * @xs:    a xenstore connection.
 * @name:  the name (/local/domain/<n>/name).
 * Return: the domid, -ENOENT when no domain has that name, or -errno.
 */
int duet_xl_domid_by_name(struct duet_xs *xs, const char *name);

#ifdef __cplusplus
}
#endif

#endif /* DUET_XLSPEC_H */

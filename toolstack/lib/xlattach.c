/* SPDX-License-Identifier: MIT */
/*
 * xlattach.c - write and remove the xenstore layout libxl gives a device.
 *
 * What libxl's device add does (libxl__device_generic_add plus the disk
 * and nic specifics, Xen 4.17): in one transaction, remove and recreate
 * the frontend dir with the frontend's permissions and the backend dir
 * with the backend's, write the cross links ("backend" in the frontend,
 * "frontend" in the backend), the key/value pairs of each side, and the
 * toolstack's own record /libxl/<domid>/device/<kind>/<devid>/{frontend,
 * backend}.  We refuse instead of replacing an existing device.
 *
 * Every path is built with asprintf(), so no name or value a spec carries
 * can overflow a buffer; each transaction is retried on EAGAIN a bounded
 * number of times.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "duet/xlspec.h"
#include "duet/xs.h"
#include "toolstack/lib/xlspec-int.h"

/* Retries of a transaction that keeps conflicting before giving up. */
#define XL_TX_RETRIES 32

/* Where libxl keeps hotplug scripts (libxl__xen_script_dir_path()). */
#define XL_SCRIPT_DIR "/etc/xen/scripts"

/* XenbusStateInitialising, XenbusStateClosed (xen/io/xenbus.h). */
#define XL_STATE_INITIALISING 1
#define XL_STATE_CLOSED 6

/* One key/value of a side, with the permissions it is written with. */
struct xl_kv {
	const char *key;
	char *val; /* malloc'd */
	int ro;	   /* 1: owned by the backend, read by the frontend */
};

/* Everything one attach writes. */
struct xl_layout {
	const char *kind;  /* frontend device class: vbd | vif */
	const char *bkind; /* backend dir class: vbd | qdisk | vif */
	unsigned domid;	   /* frontend */
	unsigned bdomid;   /* backend */
	int devid;
	struct xl_kv back[24];
	unsigned nback;
	struct xl_kv front[12];
	unsigned nfront;
};

static int kv_add(struct xl_kv *arr, unsigned *n, unsigned max, const char *key,
		  int ro, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

static int kv_add(struct xl_kv *arr, unsigned *n, unsigned max, const char *key,
		  int ro, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (*n >= max)
		return -E2BIG;
	va_start(ap, fmt);
	rc = vasprintf(&arr[*n].val, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return -ENOMEM;
	arr[*n].key = key;
	arr[*n].ro = ro;
	(*n)++;
	return 0;
}

#define BACK(l, key, ...)                                                      \
	kv_add((l)->back, &(l)->nback,                                         \
	       sizeof((l)->back) / sizeof((l)->back[0]), key, 0, __VA_ARGS__)
#define FRONT(l, key, ro, ...)                                                 \
	kv_add((l)->front, &(l)->nfront,                                       \
	       sizeof((l)->front) / sizeof((l)->front[0]), key, ro,            \
	       __VA_ARGS__)

static void layout_free(struct xl_layout *l)
{
	unsigned i;

	for (i = 0; i < l->nback; i++)
		free(l->back[i].val);
	for (i = 0; i < l->nfront; i++)
		free(l->front[i].val);
	l->nback = l->nfront = 0;
}

/* 1 if @path exists, 0 if not, or -errno. */
static int exists(struct duet_xs *xs, duet_xs_tx_t tx, const char *path)
{
	char *val;
	int rc = duet_xs_read(xs, tx, path, &val);

	if (rc == -ENOENT)
		return 0;
	if (rc < 0)
		return rc;
	free(val);
	return 1;
}

int duet_xl_domid_by_name(struct duet_xs *xs, const char *name)
{
	char **doms, *path, *val, *end;
	unsigned long id;
	int n, i, rc = -ENOENT;

	n = duet_xs_directory(xs, DUET_XS_NO_TX, "/local/domain", &doms);
	if (n < 0)
		return n;
	for (i = 0; i < n && rc == -ENOENT; i++) {
		id = strtoul(doms[i], &end, 10);
		if (*end || id >= DUET_XL_DOMID_MAX)
			continue;
		if (asprintf(&path, "/local/domain/%lu/name", id) < 0) {
			rc = -ENOMEM;
			break;
		}
		if (duet_xs_read(xs, DUET_XS_NO_TX, path, &val) >= 0) {
			if (!strcmp(val, name))
				rc = (int)id;
			free(val);
		}
		free(path);
	}
	free(doms);
	return rc;
}

/* The backend domain of a spec: a number, a name, or dom0. */
static int backend_domid(struct duet_xs *xs, const char *backend, int domid)
{
	if (!backend || domid >= 0)
		return backend ? domid : 0;
	return duet_xl_domid_by_name(xs, backend);
}

/* Write one node with a two-entry permission list. */
static int write_perm(struct duet_xs *xs, duet_xs_tx_t tx, const char *path,
		      const char *val, unsigned owner, unsigned reader)
{
	struct duet_xs_perm perms[2] = {
		{.domid = owner, .perms = DUET_XS_PERM_NONE},
		{.domid = reader, .perms = DUET_XS_PERM_READ},
	};
	int rc;

	rc = val ? duet_xs_write(xs, tx, path, val)
		 : duet_xs_mkdir(xs, tx, path);
	if (rc < 0)
		return rc;
	return duet_xs_set_perms(xs, tx, path, perms, 2);
}

/* Write @key=@val below @dir. */
static int write_kv(struct duet_xs *xs, duet_xs_tx_t tx, const char *dir,
		    const char *key, const char *val, unsigned owner,
		    unsigned reader)
{
	char *path;
	int rc;

	if (asprintf(&path, "%s/%s", dir, key) < 0)
		return -ENOMEM;
	if (owner == ~0u)
		rc = duet_xs_write(xs, tx, path, val);
	else
		rc = write_perm(xs, tx, path, val, owner, reader);
	free(path);
	return rc;
}

struct xl_paths {
	char *fe, *be, *lx;
};

static void paths_free(struct xl_paths *p)
{
	free(p->fe);
	free(p->be);
	free(p->lx);
	memset(p, 0, sizeof(*p));
}

static int paths_make(struct xl_paths *p, const char *kind, const char *bkind,
		      unsigned domid, unsigned bdomid, int devid)
{
	memset(p, 0, sizeof(*p));
	if (asprintf(&p->fe, "/local/domain/%u/device/%s/%d", domid, kind,
		     devid) < 0)
		p->fe = NULL;
	if (asprintf(&p->be, "/local/domain/%u/backend/%s/%u/%d", bdomid, bkind,
		     domid, devid) < 0)
		p->be = NULL;
	if (asprintf(&p->lx, "/libxl/%u/device/%s/%d", domid, kind, devid) < 0)
		p->lx = NULL;
	if (!p->fe || !p->be || !p->lx) {
		paths_free(p);
		return -ENOMEM;
	}
	return 0;
}

/* The body of one attach transaction. */
static int attach_tx(struct duet_xs *xs, duet_xs_tx_t tx,
		     const struct xl_layout *l, const struct xl_paths *p)
{
	char *dom;
	unsigned i;
	int rc;

	if (asprintf(&dom, "/local/domain/%u", l->domid) < 0)
		return -ENOMEM;
	rc = exists(xs, tx, dom);
	free(dom);
	if (rc <= 0)
		return rc ? rc : -ENOENT;
	if ((rc = exists(xs, tx, p->fe)) || (rc = exists(xs, tx, p->be)) ||
	    (rc = exists(xs, tx, p->lx)))
		return rc < 0 ? rc : -EEXIST;

	rc = write_kv(xs, tx, p->lx, "frontend", p->fe, ~0u, 0);
	if (!rc)
		rc = write_kv(xs, tx, p->lx, "backend", p->be, ~0u, 0);
	/* frontend: owned by the guest, readable by the backend */
	if (!rc)
		rc = write_perm(xs, tx, p->fe, NULL, l->domid, l->bdomid);
	if (!rc)
		rc = write_kv(xs, tx, p->fe, "backend", p->be, l->domid,
			      l->bdomid);
	for (i = 0; !rc && i < l->nfront; i++)
		rc = l->front[i].ro
			     ? write_kv(xs, tx, p->fe, l->front[i].key,
					l->front[i].val, l->bdomid, l->domid)
			     : write_kv(xs, tx, p->fe, l->front[i].key,
					l->front[i].val, l->domid, l->bdomid);
	/* backend: owned by the backend domain, readable by the guest */
	if (!rc)
		rc = write_perm(xs, tx, p->be, NULL, l->bdomid, l->domid);
	if (!rc)
		rc = write_kv(xs, tx, p->be, "frontend", p->fe, l->bdomid,
			      l->domid);
	for (i = 0; !rc && i < l->nback; i++)
		rc = write_kv(xs, tx, p->be, l->back[i].key, l->back[i].val,
			      l->bdomid, l->domid);
	return rc;
}

/*
 * Run @body in a transaction until it commits, fails, or has conflicted
 * XL_TX_RETRIES times.  @body may return -EAGAIN itself to be rerun.
 */
static int in_tx(struct duet_xs *xs,
		 int (*body)(struct duet_xs *, duet_xs_tx_t, void *), void *arg)
{
	duet_xs_tx_t tx;
	int rc, tries;

	for (tries = 0; tries < XL_TX_RETRIES; tries++) {
		rc = duet_xs_tx_start(xs, &tx);
		if (rc < 0)
			return rc;
		rc = body(xs, tx, arg);
		if (rc < 0) {
			duet_xs_tx_end(xs, tx, 1);
			if (rc == -EAGAIN)
				continue;
			return rc;
		}
		rc = duet_xs_tx_end(xs, tx, 0);
		if (rc != -EAGAIN)
			return rc;
	}
	return -EAGAIN;
}

struct attach_arg {
	struct xl_layout *l;
	int vif_auto_devid; /* pick the devid inside the transaction */
	int devid_key_front, devid_key_back; /* "handle" slots to fill */
};

/* One above the highest vif devid in use, from the frontend dir and
 * /libxl (libxl__device_nextid()). */
static int next_vif_devid(struct duet_xs *xs, duet_xs_tx_t tx, unsigned domid)
{
	static const char *const fmts[] = {"/local/domain/%u/device/vif",
					   "/libxl/%u/device/vif"};
	char *path, **names, *end;
	long id, next = 0;
	unsigned f;
	int n, i;

	for (f = 0; f < 2; f++) {
		if (asprintf(&path, fmts[f], domid) < 0)
			return -ENOMEM;
		n = duet_xs_directory(xs, tx, path, &names);
		free(path);
		if (n == -ENOENT)
			continue;
		if (n < 0)
			return n;
		for (i = 0; i < n; i++) {
			id = strtol(names[i], &end, 10);
			if (!*end && id >= 0 && id < 0x7fffffff && id >= next)
				next = id + 1;
		}
		free(names);
	}
	return (int)next;
}

static int attach_body(struct duet_xs *xs, duet_xs_tx_t tx, void *argp)
{
	struct attach_arg *a = argp;
	struct xl_layout *l = a->l;
	struct xl_paths p;
	int rc;

	if (a->vif_auto_devid) {
		rc = next_vif_devid(xs, tx, l->domid);
		if (rc < 0)
			return rc;
		l->devid = rc;
		free(l->front[a->devid_key_front].val);
		free(l->back[a->devid_key_back].val);
		l->front[a->devid_key_front].val = NULL;
		l->back[a->devid_key_back].val = NULL;
		if (asprintf(&l->front[a->devid_key_front].val, "%d",
			     l->devid) < 0 ||
		    asprintf(&l->back[a->devid_key_back].val, "%d", l->devid) <
			    0)
			return -ENOMEM;
	}
	rc = paths_make(&p, l->kind, l->bkind, l->domid, l->bdomid, l->devid);
	if (rc)
		return rc;
	rc = attach_tx(xs, tx, l, &p);
	paths_free(&p);
	return rc;
}

static const char *qdisk_format(enum duet_xl_disk_format f)
{
	switch (f) {
	case DUET_XL_FORMAT_QCOW:
		return "qcow";
	case DUET_XL_FORMAT_QCOW2:
		return "qcow2";
	case DUET_XL_FORMAT_VHD:
		return "vhd";
	case DUET_XL_FORMAT_QED:
		return "qed";
	case DUET_XL_FORMAT_RAW:
	case DUET_XL_FORMAT_EMPTY:
		break;
	}
	return "aio";
}

/* An absolute script path, as libxl__abs_path() makes it. */
static int script_path(struct xl_layout *l, const char *script,
		       const char *dflt)
{
	const char *s = script ? script : dflt;

	if (s[0] == '/')
		return BACK(l, "script", "%s", s);
	return BACK(l, "script", "%s/%s", XL_SCRIPT_DIR, s);
}

int duet_xl_disk_attach(struct duet_xs *xs, unsigned domid,
			const struct duet_xl_disk *d, int *devid_out)
{
	struct xl_layout l;
	struct attach_arg a = {.l = &l};
	enum duet_xl_disk_backendtype bt = d->backendtype;
	int rc, bdom;

	if (!xs || !d || !d->vdev || d->virtual_device < 0 ||
	    domid >= DUET_XL_DOMID_MAX)
		return -EINVAL;
	if (bt == DUET_XL_BACKENDTYPE_TAP)
		return -EINVAL; /* blktap: libxl refuses it too */
	if (bt == DUET_XL_BACKENDTYPE_AUTO)
		bt = (d->format == DUET_XL_FORMAT_RAW ||
		      d->format == DUET_XL_FORMAT_EMPTY) &&
				     d->target_kind == DUET_XL_TARGET_PATH
			     ? DUET_XL_BACKENDTYPE_PHY
			     : DUET_XL_BACKENDTYPE_QDISK;
	if (bt != DUET_XL_BACKENDTYPE_QDISK &&
	    d->target_kind != DUET_XL_TARGET_PATH)
		return -EINVAL; /* phy needs a path (libxl stats it) */
	bdom = backend_domid(xs, d->backend, d->backend_domid);
	if (bdom < 0)
		return bdom;

	memset(&l, 0, sizeof(l));
	l.kind = "vbd";
	l.bkind = bt == DUET_XL_BACKENDTYPE_QDISK ? "qdisk" : "vbd";
	l.domid = domid;
	l.bdomid = (unsigned)bdom;
	l.devid = d->virtual_device;

	if (bt == DUET_XL_BACKENDTYPE_QDISK) {
		rc = BACK(&l, "params", "%s:%s", qdisk_format(d->format),
			  d->target);
	} else {
		rc = BACK(&l, "params", "%s", d->target);
		if (!rc)
			rc = script_path(&l, d->script, "block");
	}
	if (!rc)
		rc = BACK(&l, "frontend-id", "%u", domid);
	if (!rc)
		rc = BACK(&l, "online", "1");
	if (!rc)
		rc = BACK(&l, "removable", "%d", d->is_cdrom ? 1 : 0);
	if (!rc)
		rc = BACK(&l, "bootable", "1");
	if (!rc)
		rc = BACK(&l, "state", "%d", XL_STATE_INITIALISING);
	if (!rc)
		rc = BACK(&l, "dev", "%s", d->vdev);
	if (!rc)
		rc = BACK(&l, "type", "%s",
			  bt == DUET_XL_BACKENDTYPE_QDISK ? "qdisk" : "phy");
	if (!rc)
		rc = BACK(&l, "mode", "%s", d->readwrite ? "w" : "r");
	if (!rc)
		rc = BACK(&l, "device-type", "%s",
			  d->is_cdrom ? "cdrom" : "disk");
	if (!rc && d->direct_io_safe)
		rc = BACK(&l, "direct-io-safe", "1");
	if (!rc)
		rc = BACK(&l, "discard-enable", "%d", d->discard ? 1 : 0);
	if (!rc && d->dma)
		rc = BACK(&l, "dma", "%s", d->dma);

	if (!rc)
		rc = FRONT(&l, "backend-id", 0, "%u", l.bdomid);
	if (!rc)
		rc = FRONT(&l, "state", 0, "%d", XL_STATE_INITIALISING);
	if (!rc)
		rc = FRONT(&l, "virtual-device", 0, "%d", l.devid);
	if (!rc)
		rc = FRONT(&l, "device-type", 0, "%s",
			   d->is_cdrom ? "cdrom" : "disk");
	if (!rc)
		rc = FRONT(&l, "trusted", 0, "%d", d->trusted ? 1 : 0);

	if (!rc)
		rc = in_tx(xs, attach_body, &a);
	if (!rc && devid_out)
		*devid_out = l.devid;
	layout_free(&l);
	return rc;
}

static const char *nic_type(enum duet_xl_vif_type t)
{
	return t == DUET_XL_VIF_TYPE_IOEMU ? "vif_ioemu" : "vif";
}

int duet_xl_vif_attach(struct duet_xs *xs, unsigned domid,
		       const struct duet_xl_vif *v, int *devid_out)
{
	struct xl_layout l;
	struct attach_arg a = {.l = &l};
	uint8_t mac[6];
	char macs[18];
	int rc, bdom;

	if (!xs || !v || domid >= DUET_XL_DOMID_MAX)
		return -EINVAL;
	bdom = backend_domid(xs, v->backend, v->backend_domid);
	if (bdom < 0)
		return bdom;
	if (v->mac_set) {
		memcpy(mac, v->mac, 6);
	} else {
		/* libxl: Xen's OUI, then 23 random bits */
		if (getrandom(mac + 3, 3, 0) != 3)
			return -EIO;
		mac[0] = 0x00;
		mac[1] = 0x16;
		mac[2] = 0x3e;
		mac[3] &= 0x7f;
	}
	snprintf(macs, sizeof(macs), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
		 mac[1], mac[2], mac[3], mac[4], mac[5]);

	memset(&l, 0, sizeof(l));
	l.kind = "vif";
	l.bkind = "vif";
	l.domid = domid;
	l.bdomid = (unsigned)bdom;
	l.devid = v->devid >= 0 ? v->devid : 0;
	a.vif_auto_devid = v->devid < 0;

	rc = BACK(&l, "frontend-id", "%u", domid);
	if (!rc)
		rc = BACK(&l, "online", "1");
	if (!rc)
		rc = BACK(&l, "state", "%d", XL_STATE_INITIALISING);
	if (!rc)
		rc = script_path(&l, v->script, "vif-bridge");
	if (!rc && v->vifname)
		rc = BACK(&l, "vifname", "%s", v->vifname);
	if (!rc)
		rc = BACK(&l, "mac", "%s", macs);
	if (!rc && v->ip)
		rc = BACK(&l, "ip", "%s", v->ip);
	if (!rc && v->gatewaydev)
		rc = BACK(&l, "gatewaydev", "%s", v->gatewaydev);
	if (!rc && v->rate_interval_usecs)
		rc = BACK(&l, "rate", "%llu,%u",
			  (unsigned long long)v->rate_bytes_per_interval,
			  v->rate_interval_usecs);
	if (!rc)
		rc = BACK(&l, "bridge", "%s", v->bridge ? v->bridge : "xenbr0");
	if (!rc) {
		a.devid_key_back = (int)l.nback;
		rc = BACK(&l, "handle", "%d", l.devid);
	}
	if (!rc)
		rc = BACK(&l, "type", "%s", nic_type(v->type));
	if (!rc)
		rc = BACK(&l, "mtu", "%u", v->mtu);
	if (!rc && v->dma)
		rc = BACK(&l, "dma", "%s", v->dma);

	if (!rc)
		rc = FRONT(&l, "backend-id", 0, "%u", l.bdomid);
	if (!rc)
		rc = FRONT(&l, "state", 0, "%d", XL_STATE_INITIALISING);
	if (!rc) {
		a.devid_key_front = (int)l.nfront;
		rc = FRONT(&l, "handle", 0, "%d", l.devid);
	}
	if (!rc)
		rc = FRONT(&l, "mac", 0, "%s", macs);
	if (!rc)
		rc = FRONT(&l, "mtu", 1, "%u", v->mtu);
	if (!rc)
		rc = FRONT(&l, "trusted", 0, "1");

	if (!rc)
		rc = in_tx(xs, attach_body, &a);
	if (!rc && devid_out)
		*devid_out = l.devid;
	layout_free(&l);
	return rc;
}

/* ------------------------------------------------------------------ */
/* detach                                                              */
/* ------------------------------------------------------------------ */

struct detach_arg {
	unsigned domid;
	const char *kind;
	int devid;
	int force;
};

/* A state node's XenbusState, or 0 when missing or unreadable. */
static int read_state(struct duet_xs *xs, duet_xs_tx_t tx, const char *dir)
{
	char *path, *val;
	uint64_t st;
	int rc;

	if (asprintf(&path, "%s/state", dir) < 0)
		return -ENOMEM;
	rc = duet_xs_read(xs, tx, path, &val);
	free(path);
	if (rc < 0)
		return rc == -ENOENT ? 0 : rc;
	rc = duet_parse_uint(val, 8, &st) ? 0 : (int)st;
	free(val);
	return rc;
}

static int busy(int state)
{
	return state > XL_STATE_INITIALISING && state != XL_STATE_CLOSED;
}

/*
 * Remove @path and then each parent left empty, as libxl's
 * libxl__xs_path_cleanup() does, but never the first @keep components
 * ("/local/domain/<n>" is 3; 0 allows all but "/").  @path is modified.
 */
static int rm_cleanup(struct duet_xs *xs, duet_xs_tx_t tx, char *path, int keep)
{
	char **names, *slash, *c;
	int rc, n, depth;

	rc = duet_xs_rm(xs, tx, path);
	for (;;) {
		if (rc < 0)
			return rc;
		slash = strrchr(path, '/');
		if (!slash || slash == path)
			return 0;
		*slash = '\0';
		for (depth = 0, c = path; *c; c++)
			depth += *c == '/';
		if (depth <= keep)
			return 0;
		n = duet_xs_directory(xs, tx, path, &names);
		if (n == -ENOENT)
			continue;
		if (n < 0)
			return n;
		free(names);
		if (n > 0)
			return 0;
		rc = duet_xs_rm(xs, tx, path);
	}
}

int duet_xl_device_dirs(struct duet_xs *xs, duet_xs_tx_t tx, unsigned domid,
			const char *kind, int devid, char **fe, char **be)
{
	char *lxb, *val = NULL, *want_tail = NULL;
	const char *k;
	unsigned bdom;
	size_t kl;
	int rc, n = 0;

	*fe = *be = NULL;
	if (asprintf(&lxb, "/libxl/%u/device/%s/%d/backend", domid, kind,
		     devid) < 0)
		return -ENOMEM;
	rc = duet_xs_read(xs, tx, lxb, &val);
	free(lxb);
	if (rc < 0)
		return rc;
	/* /local/domain/<n>/backend/<vbd|qdisk|vif>/<domid>/<devid> */
	rc = -ENOMEM;
	if (asprintf(&want_tail, "/%u/%d", domid, devid) < 0) {
		want_tail = NULL;
		goto out;
	}
	rc = -EPROTO;
	if (sscanf(val, "/local/domain/%u/backend/%n", &bdom, &n) != 1 || !n ||
	    bdom >= DUET_XL_DOMID_MAX)
		goto out;
	k = val + n;
	kl = strcspn(k, "/");
	if (!((kl == 3 && !strncmp(k, "vbd", 3)) ||
	      (kl == 5 && !strncmp(k, "qdisk", 5)) ||
	      (kl == 3 && !strncmp(k, "vif", 3))) ||
	    strcmp(k + kl, want_tail))
		goto out;
	if (!strcmp(kind, "vif") != (kl == 3 && !strncmp(k, "vif", 3)))
		goto out; /* a vif backend for a vbd or vice versa */
	rc = -ENOMEM;
	if (asprintf(fe, "/local/domain/%u/device/%s/%d", domid, kind,
		     devid) < 0) {
		*fe = NULL;
		goto out;
	}
	*be = val;
	val = NULL;
	rc = 0;
out:
	free(val);
	free(want_tail);
	return rc;
}

int duet_xl_device_state(struct duet_xs *xs, duet_xs_tx_t tx, const char *dir)
{
	return read_state(xs, tx, dir);
}

static int detach_body(struct duet_xs *xs, duet_xs_tx_t tx, void *argp)
{
	struct detach_arg *a = argp;
	struct xl_paths p;
	int rc, fst, bst;

	memset(&p, 0, sizeof(p));
	if (asprintf(&p.lx, "/libxl/%u/device/%s/%d", a->domid, a->kind,
		     a->devid) < 0)
		return -ENOMEM;
	rc = duet_xl_device_dirs(xs, tx, a->domid, a->kind, a->devid, &p.fe,
				 &p.be);
	if (rc < 0)
		goto out;
	if (!a->force) {
		fst = read_state(xs, tx, p.fe);
		bst = read_state(xs, tx, p.be);
		if (fst < 0 || bst < 0) {
			rc = fst < 0 ? fst : bst;
			goto out;
		}
		if (busy(fst) || busy(bst)) {
			rc = -EBUSY;
			goto out;
		}
	}
	rc = rm_cleanup(xs, tx, p.fe, 3);
	if (!rc)
		rc = rm_cleanup(xs, tx, p.be, 3);
	if (!rc)
		rc = rm_cleanup(xs, tx, p.lx, 0);
out:
	paths_free(&p);
	return rc;
}

int duet_xl_detach(struct duet_xs *xs, unsigned domid, const char *kind,
		   int devid, int force)
{
	struct detach_arg a = {
		.domid = domid, .kind = kind, .devid = devid, .force = force};

	if (!xs || !kind || (strcmp(kind, "vbd") && strcmp(kind, "vif")) ||
	    devid < 0 || domid >= DUET_XL_DOMID_MAX)
		return -EINVAL;
	return in_tx(xs, detach_body, &a);
}

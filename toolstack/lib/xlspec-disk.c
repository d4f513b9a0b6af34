/* SPDX-License-Identifier: MIT */
/*
 * xlspec-disk.c - the xl disk specification, xl-disk-configuration(5).
 *
 * A DISKSPEC is a comma-separated series of key=value parameters, flags
 * and positional parameters.  The rules below follow xl's own scanner
 * (libxlu's disk lexer) so that the same strings mean the same disks:
 *
 * - Whitespace before a parameter is skipped.
 * - "target=" takes the rest of the spec (one trailing comma dropped), so
 *   a target may contain commas; it must come last.
 * - At the start of a parameter, deprecated prefixes are stripped:
 *   "raw:", "qcow:", "qcow2:", "vhd:" set the format; "iscsi:", "nbd:",
 *   "enbd:", "drbd:" set script=block-<name>; "tapdisk:", "tap:",
 *   "tap2:", "aio:", "ioemu:", "file:", "phy:" are ignored.  Any other
 *   "<lowercase-word>:" not followed by a letter or digit is an unknown
 *   prefix.  After a prefix, the second positional is the vdev (xl 4.1's
 *   "[<format>:][<target>],<vdev>[:<devtype>],<access>").
 * - A parameter without '=' that is not a flag fills the first unset of
 *   target, format, vdev, access.  A vdev may carry ":cdrom" or ":disk".
 * - Each parameter may be given once; giving an empty value is the same
 *   as not giving it (an empty string may be respecified).
 *
 * The parser works on one private copy of the spec, cut in place, so a
 * spec of any length up to DUET_XL_SPEC_MAX needs one allocation and no
 * fixed buffer; every loop advances through the copy, so time is linear.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "duet/xlspec.h"
#include "toolstack/lib/xlspec-int.h"

/* ------------------------------------------------------------------ */
/* vdev encoding (libxl__device_disk_dev_number, xen-vbd-interface(7)) */
/* ------------------------------------------------------------------ */

/*
 * Match "<prefix><letters>[<partition>]": letters a..z count in base 26
 * with "a" = 0, "z" = 25, "aa" = 26; the partition is decimal without a
 * leading zero.  Returns 0 with *disk and *part, or -1.
 */
static int vdev_match(const char *v, const char *prefix, int max_disk,
		      int max_part, int *disk, int *part)
{
	size_t pl = strlen(prefix);
	const char *p;
	long d = -1;
	uint64_t n;

	if (strncmp(v, prefix, pl))
		return -1;
	for (p = v + pl; *p >= 'a' && *p <= 'z'; p++) {
		d = (d + 1) * 26 + (*p - 'a');
		if (d > max_disk)
			return -1;
	}
	if (d < 0)
		return -1; /* no drive letter */
	if (!*p) {
		*disk = (int)d;
		*part = 0;
		return 0;
	}
	if (duet_parse_uint(p, (uint64_t)max_part, &n) || n == 0)
		return -1;
	*disk = (int)d;
	*part = (int)n;
	return 0;
}

/* "d<disk>p<partition>", decimal, as libxl's "d%ip%i". */
static int vdev_match_dp(const char *v, int *disk, int *part)
{
	uint64_t d, p;
	const char *sep;
	char num[16];
	size_t n;

	if (v[0] != 'd')
		return -1;
	sep = strchr(v + 1, 'p');
	if (!sep)
		return -1;
	n = (size_t)(sep - (v + 1));
	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, v + 1, n);
	num[n] = '\0';
	if (duet_parse_uint(num, (1ul << 20) - 1, &d) ||
	    duet_parse_uint(sep + 1, 255, &p))
		return -1;
	*disk = (int)d;
	*part = (int)p;
	return 0;
}

/*
 * A number as strtoul(..., 0) reads it (decimal, 0x hex, 0 octal), with
 * nothing after it, at most INT_MAX.  Returns 0 and *v, or -1.
 */
static int parse_c_number(const char *s, unsigned long *v)
{
	unsigned long n = 0, base = 10, dig;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (!*s)
			return -1;
	} else if (s[0] == '0') {
		base = 8;
	}
	for (; *s; s++) {
		if (*s >= '0' && *s <= '9')
			dig = (unsigned long)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			dig = (unsigned long)(*s - 'a' + 10);
		else if (*s >= 'A' && *s <= 'F')
			dig = (unsigned long)(*s - 'A' + 10);
		else
			return -1;
		if (dig >= base || n > (0x7ffffffful - dig) / base)
			return -1;
		n = n * base + dig;
	}
	*v = n;
	return 0;
}

int duet_xl_vdev_encode(const char *vdev, int *disk, int *partition)
{
	int d, p;
	unsigned long num;

	if (!vdev || !*vdev)
		return -EINVAL;
	if (!vdev_match_dp(vdev, &d, &p) ||
	    !vdev_match(vdev, "xvd", (1 << 20) - 1, 255, &d, &p)) {
		if (disk)
			*disk = d;
		if (partition)
			*partition = p;
		if (d <= 15 && p <= 15)
			return (202 << 8) | (d << 4) | p;
		return (1 << 28) | (d << 8) | p;
	}
	if (vdev[0] >= '0' && vdev[0] <= '9') {
		if (parse_c_number(vdev, &num))
			return -EINVAL;
		if (disk)
			*disk = -1;
		if (partition)
			*partition = -1;
		return (int)num;
	}
	if (!vdev_match(vdev, "hd", 3, 63, &d, &p)) {
		if (disk)
			*disk = d;
		if (partition)
			*partition = p;
		return ((d < 2 ? 3 : 22) << 8) | ((d & 1) << 6) | p;
	}
	if (!vdev_match(vdev, "sd", 15, 15, &d, &p)) {
		if (disk)
			*disk = d;
		if (partition)
			*partition = p;
		return (8 << 8) | (d << 4) | p;
	}
	return -EINVAL;
}

/* ------------------------------------------------------------------ */
/* names                                                               */
/* ------------------------------------------------------------------ */

static const char *const format_names[] = {
	[DUET_XL_FORMAT_RAW] = "raw",	  [DUET_XL_FORMAT_QCOW] = "qcow",
	[DUET_XL_FORMAT_QCOW2] = "qcow2", [DUET_XL_FORMAT_VHD] = "vhd",
	[DUET_XL_FORMAT_QED] = "qed",	  [DUET_XL_FORMAT_EMPTY] = "empty",
};

static const char *const backendtype_names[] = {
	[DUET_XL_BACKENDTYPE_AUTO] = "auto",
	[DUET_XL_BACKENDTYPE_PHY] = "phy",
	[DUET_XL_BACKENDTYPE_TAP] = "tap",
	[DUET_XL_BACKENDTYPE_QDISK] = "qdisk",
};

const char *duet_xl_disk_format_name(enum duet_xl_disk_format f)
{
	if ((unsigned)f < sizeof(format_names) / sizeof(format_names[0]))
		return format_names[f];
	return "?";
}

const char *duet_xl_disk_backendtype_name(enum duet_xl_disk_backendtype t)
{
	if ((unsigned)t <
	    sizeof(backendtype_names) / sizeof(backendtype_names[0]))
		return backendtype_names[t];
	return "?";
}

/* ------------------------------------------------------------------ */
/* the parser                                                          */
/* ------------------------------------------------------------------ */

/* Parse state beyond struct duet_xl_disk: what was given explicitly. */
struct disk_ctx {
	struct duet_xl_disk *d;
	char *err;
	size_t errlen;
	int format_set; /* format given (positionally or by name) */
	int access_set; /* access given */
	int cdrom_set;	/* devtype given (cdrom or disk) */
	int backendtype_set;
	int discard_set;
	int trusted_set;
	int dio_set;
	int access_pos; /* the access positional slot is used */
	int had_prefix; /* a deprecated prefix was seen */
};

/* Set a string parameter, refusing to overwrite a non-empty value. */
static int set_str(struct disk_ctx *c, const char *name, const char **slot,
		   const char *val)
{
	struct xl_quoted q;

	if (*slot && **slot)
		return duet_xlspec_err(c->err, c->errlen,
				       "%s respecified: %s after %s", name,
				       duet_xlspec_quote_str(&q, val), *slot);
	*slot = val;
	return 0;
}

static int set_format(struct disk_ctx *c, const char *val)
{
	struct xl_quoted q;
	unsigned i;
	int f = -1;

	if (!*val) {
		f = DUET_XL_FORMAT_RAW;
	} else {
		for (i = 0; i < sizeof(format_names) / sizeof(format_names[0]);
		     i++)
			if (!strcmp(val, format_names[i]))
				f = (int)i;
	}
	if (f < 0)
		return duet_xlspec_err(
			c->err, c->errlen,
			"format %s: unknown (raw, qcow, qcow2, vhd, qed, "
			"empty)",
			duet_xlspec_quote_str(&q, val));
	if (c->format_set && (int)c->d->format != f)
		return duet_xlspec_err(c->err, c->errlen,
				       "format respecified: %s after %s",
				       duet_xlspec_quote_str(&q, val),
				       duet_xl_disk_format_name(c->d->format));
	c->d->format = (enum duet_xl_disk_format)f;
	c->format_set = 1;
	return 0;
}

static int set_access(struct disk_ctx *c, const char *val)
{
	struct xl_quoted q;
	int rw;

	if (!strcmp(val, "r") || !strcmp(val, "ro"))
		rw = 0;
	else if (!strcmp(val, "w") || !strcmp(val, "rw") || !*val)
		rw = 1;
	else
		return duet_xlspec_err(c->err, c->errlen,
				       "access %s: unknown (r, ro, w, rw)",
				       duet_xlspec_quote_str(&q, val));
	if (!*val)
		return 0; /* empty: the default applies */
	if (c->access_set && c->d->readwrite != rw)
		return duet_xlspec_err(c->err, c->errlen,
				       "access respecified: %s after %s",
				       duet_xlspec_quote_str(&q, val),
				       c->d->readwrite ? "rw" : "ro");
	c->d->readwrite = rw;
	c->access_set = 1;
	return 0;
}

static int set_cdrom(struct disk_ctx *c, int cdrom, const char *what)
{
	if (c->cdrom_set && c->d->is_cdrom != cdrom)
		return duet_xlspec_err(c->err, c->errlen,
				       "devtype respecified by %s", what);
	c->d->is_cdrom = cdrom;
	c->cdrom_set = 1;
	return 0;
}

/* A boolean flag that may be given once either way. */
static int set_flag(struct disk_ctx *c, int *slot, int *set, int val,
		    const char *what)
{
	if (*set && *slot != val)
		return duet_xlspec_err(c->err, c->errlen,
				       "%s contradicts an earlier flag", what);
	*slot = val;
	*set = 1;
	return 0;
}

/* "<vdev>:<devtype>" (deprecated).  Returns 1 if handled, 0 if no colon,
 * or -EINVAL. */
static int vdev_and_devtype(struct disk_ctx *c, char *tok)
{
	struct xl_quoted q;
	char *colon = strrchr(tok, ':');
	int rc;

	if (!colon)
		return 0;
	*colon++ = '\0';
	rc = set_str(c, "vdev", &c->d->vdev, tok);
	if (rc)
		return rc;
	if (!strcmp(colon, "cdrom"))
		rc = set_cdrom(c, 1, "vdev suffix :cdrom");
	else if (!strcmp(colon, "disk"))
		rc = set_cdrom(c, 0, "vdev suffix :disk");
	else
		rc = duet_xlspec_err(
			c->err, c->errlen,
			"vdev suffix %s: unknown device type (cdrom, disk)",
			duet_xlspec_quote_str(&q, colon));
	return rc < 0 ? rc : 1;
}

static int positional(struct disk_ctx *c, char *tok)
{
	struct duet_xl_disk *d = c->d;
	struct xl_quoted q;
	int rc;

	if (!d->target)
		return set_str(c, "target", &d->target, tok);
	if (!c->had_prefix && !c->format_set) {
		if (!*d->target) {
			rc = vdev_and_devtype(c, tok);
			if (rc)
				return rc < 0 ? rc : set_format(c, "empty");
		}
		return set_format(c, tok);
	}
	if (!d->vdev) {
		rc = vdev_and_devtype(c, tok);
		if (rc)
			return rc < 0 ? rc : 0;
		return set_str(c, "vdev", &d->vdev, tok);
	}
	if (!c->access_pos) {
		c->access_pos = 1;
		return set_access(c, tok);
	}
	return duet_xlspec_err(
		c->err, c->errlen,
		"too many positional parameters at %s (target, format, "
		"vdev, access)",
		duet_xlspec_quote_str(&q, tok));
}

static const char *const colo_keys[] = {
	"colo-host", "colo-port", "colo-export", "active-disk", "hidden-disk",
};

static int keyword(struct disk_ctx *c, char *key, char *val)
{
	struct duet_xl_disk *d = c->d;
	struct xl_quoted q;
	unsigned i;
	int rc;

	if (!strcmp(key, "format"))
		return set_format(c, val);
	if (!strcmp(key, "vdev"))
		return set_str(c, "vdev", &d->vdev, val);
	if (!strcmp(key, "access"))
		return set_access(c, val);
	if (!strcmp(key, "devtype")) {
		if (!strcmp(val, "cdrom"))
			return set_cdrom(c, 1, "devtype=cdrom");
		if (!strcmp(val, "disk"))
			return set_cdrom(c, 0, "devtype=disk");
		return duet_xlspec_err(c->err, c->errlen,
				       "devtype=%s: unknown (cdrom, disk)",
				       duet_xlspec_quote_str(&q, val));
	}
	if (!strcmp(key, "backend")) {
		if (!*val)
			return 0;
		rc = set_str(c, "backend", &d->backend, val);
		if (rc)
			return rc;
		return duet_xlspec_parse_backend(val, &d->backend_domid, c->err,
						 c->errlen);
	}
	if (!strcmp(key, "backendtype")) {
		int t = -1;

		for (i = 1; i < sizeof(backendtype_names) /
					sizeof(backendtype_names[0]);
		     i++)
			if (!strcmp(val, backendtype_names[i]))
				t = (int)i;
		if (t < 0)
			return duet_xlspec_err(
				c->err, c->errlen,
				"backendtype=%s: unknown (phy, qdisk, "
				"tap)",
				duet_xlspec_quote_str(&q, val));
		if (c->backendtype_set && (int)d->backendtype != t)
			return duet_xlspec_err(
				c->err, c->errlen,
				"backendtype respecified: %s after %s",
				duet_xlspec_quote_str(&q, val),
				duet_xl_disk_backendtype_name(d->backendtype));
		d->backendtype = (enum duet_xl_disk_backendtype)t;
		c->backendtype_set = 1;
		return 0;
	}
	if (!strcmp(key, "script")) {
		if (!*val)
			return 0;
		return set_str(c, "script", &d->script, val);
	}
	for (i = 0; i < sizeof(colo_keys) / sizeof(colo_keys[0]); i++)
		if (!strcmp(key, colo_keys[i]))
			return duet_xlspec_err(
				c->err, c->errlen,
				"%s: COLO is not supported by duet", key);
	return duet_xlspec_err(c->err, c->errlen, "unknown parameter %s",
			       duet_xlspec_quote_str(&q, key));
}

/* Flags: returns 1 if @tok is one, 0 if not, or -EINVAL. */
static int flag(struct disk_ctx *c, const char *tok)
{
	struct duet_xl_disk *d = c->d;
	int rc;

	if (!strcmp(tok, "cdrom"))
		rc = set_cdrom(c, 1, "cdrom");
	else if (!strcmp(tok, "direct-io-safe"))
		rc = set_flag(c, &d->direct_io_safe, &c->dio_set, 1,
			      "direct-io-safe");
	else if (!strcmp(tok, "discard"))
		rc = set_flag(c, &d->discard, &c->discard_set, 1, "discard");
	else if (!strcmp(tok, "no-discard"))
		rc = set_flag(c, &d->discard, &c->discard_set, 0, "no-discard");
	else if (!strcmp(tok, "trusted"))
		rc = set_flag(c, &d->trusted, &c->trusted_set, 1, "trusted");
	else if (!strcmp(tok, "untrusted"))
		rc = set_flag(c, &d->trusted, &c->trusted_set, 0, "untrusted");
	else if (!strcmp(tok, "colo") || !strcmp(tok, "no-colo"))
		rc = duet_xlspec_err(c->err, c->errlen,
				     "%s: COLO is not supported by duet", tok);
	else
		return 0;
	return rc < 0 ? rc : 1;
}

/*
 * Deprecated prefixes at @p (a parameter's start).  Returns the number
 * of bytes consumed (0 if none), or -EINVAL.
 */
static int prefix(struct disk_ctx *c, const char *p)
{
	static const char *const formats[] = {"raw", "qcow", "qcow2", "vhd"};
	static const char *const scripts[] = {"iscsi", "nbd", "enbd", "drbd"};
	static const char *const block_scripts[] = {"block-iscsi", "block-nbd",
						    "block-enbd", "block-drbd"};
	static const char *const ignored[] = {"tapdisk", "tap",	 "tap2", "aio",
					      "ioemu",	 "file", "phy"};
	struct xl_quoted q;
	char word[8];
	size_t n = 0;
	unsigned i;
	int rc;

	if (!(p[0] >= 'a' && p[0] <= 'z'))
		return 0;
	while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= '0' && p[n] <= '9'))
		n++;
	if (p[n] != ':')
		return 0;
	if (n < sizeof(word)) {
		memcpy(word, p, n);
		word[n] = '\0';
		for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
			if (strcmp(word, formats[i]))
				continue;
			rc = set_format(c, word);
			if (rc)
				return rc;
			c->had_prefix = 1;
			return (int)n + 1;
		}
		for (i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
			if (strcmp(word, scripts[i]))
				continue;
			rc = set_str(c, "script", &c->d->script,
				     block_scripts[i]);
			if (rc)
				return rc;
			c->had_prefix = 1;
			return (int)n + 1;
		}
		for (i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
			if (strcmp(word, ignored[i]))
				continue;
			c->had_prefix = 1;
			return (int)n + 1;
		}
	}
	/* "hdc:cdrom" is a vdev with a device type, not a prefix */
	if ((p[n + 1] >= 'a' && p[n + 1] <= 'z') ||
	    (p[n + 1] >= '0' && p[n + 1] <= '9'))
		return 0;
	return duet_xlspec_err(c->err, c->errlen,
			       "unknown deprecated disk prefix %s",
			       duet_xlspec_quote(&q, p, n + 1));
}

static int is_key(const char *s, size_t n)
{
	size_t i;

	if (!n || !(s[0] >= 'a' && s[0] <= 'z'))
		return 0;
	for (i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      s[i] == '_'))
			return 0;
	return 1;
}

static int scan(struct disk_ctx *c, char *p)
{
	struct xl_quoted q;
	char *end, *eq;
	size_t n;
	int rc;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			return 0;
		if (!strncmp(p, "target=", 7)) {
			char *val = p + 7;

			n = strlen(val);
			if (n && val[n - 1] == ',')
				val[--n] = '\0';
			if (duet_xlspec_has_ctl(val, n))
				return duet_xlspec_err(
					c->err, c->errlen,
					"control character in target %s",
					duet_xlspec_quote(&q, val, n));
			return set_str(c, "target", &c->d->target, val);
		}
		rc = prefix(c, p);
		if (rc < 0)
			return rc;
		if (rc > 0) {
			p += rc;
			continue;
		}
		end = strchr(p, ',');
		n = end ? (size_t)(end - p) : strlen(p);
		if (duet_xlspec_has_ctl(p, n))
			return duet_xlspec_err(
				c->err, c->errlen,
				"control character in parameter %s",
				duet_xlspec_quote(&q, p, n));
		p[n] = '\0';
		eq = strchr(p, '=');
		if (eq) {
			if (!is_key(p, (size_t)(eq - p)))
				return duet_xlspec_err(
					c->err, c->errlen,
					"bad disk syntax at %s",
					duet_xlspec_quote(&q, p, n));
			*eq = '\0';
			rc = keyword(c, p, eq + 1);
		} else {
			rc = flag(c, p);
			if (rc == 0)
				rc = positional(c, p);
		}
		if (rc < 0)
			return rc;
		if (!end)
			return 0;
		p = end + 1;
	}
}

/* Cross-parameter checks once everything is known (libxl's rules). */
static int finish(struct disk_ctx *c)
{
	struct duet_xl_disk *d = c->d;
	struct xl_quoted q;
	int v;

	if (!d->vdev || !*d->vdev)
		return duet_xlspec_err(
			c->err, c->errlen,
			"missing vdev (e.g. \"xvda\" as the third "
			"positional parameter or vdev=)");
	v = duet_xl_vdev_encode(d->vdev, &d->vdev_disk, &d->vdev_partition);
	if (v < 0)
		return duet_xlspec_err(
			c->err, c->errlen,
			"vdev %s: not a virtual disk (xvd<a-z...>[N], "
			"hd<a-d>[N], sd<a-p>[N], d<N>p<N> or a number)",
			duet_xlspec_quote_str(&q, d->vdev));
	d->virtual_device = v;
	if (!d->target)
		d->target = "";
	if (!*d->target) {
		if (!d->is_cdrom)
			return duet_xlspec_err(
				c->err, c->errlen,
				"missing target (only a cdrom may be "
				"empty)");
		if (c->format_set && d->format != DUET_XL_FORMAT_RAW &&
		    d->format != DUET_XL_FORMAT_EMPTY)
			return duet_xlspec_err(
				c->err, c->errlen,
				"format=%s given for an empty cdrom",
				duet_xl_disk_format_name(d->format));
		d->format = DUET_XL_FORMAT_EMPTY;
	} else if (d->format == DUET_XL_FORMAT_EMPTY) {
		return duet_xlspec_err(c->err, c->errlen,
				       "format=empty with target %s",
				       duet_xlspec_quote_str(&q, d->target));
	}
	if (d->format == DUET_XL_FORMAT_EMPTY && !d->is_cdrom)
		return duet_xlspec_err(c->err, c->errlen,
				       "format=empty is only for a cdrom");
	v = duet_xl_disk_target_kind(d->target, c->err, c->errlen);
	if (v < 0)
		return v;
	d->target_kind = (enum duet_xl_disk_target)v;
	if (v != DUET_XL_TARGET_PATH) {
		if (d->backendtype == DUET_XL_BACKENDTYPE_PHY ||
		    d->backendtype == DUET_XL_BACKENDTYPE_TAP)
			return duet_xlspec_err(
				c->err, c->errlen,
				"backendtype=%s needs a file or block "
				"device; an %s target needs "
				"backendtype=qdisk",
				duet_xl_disk_backendtype_name(d->backendtype),
				v == DUET_XL_TARGET_NBD ? "NBD" : "RBD");
		if (d->format != DUET_XL_FORMAT_RAW)
			return duet_xlspec_err(
				c->err, c->errlen,
				"an %s target is served raw, not "
				"format=%s",
				v == DUET_XL_TARGET_NBD ? "NBD" : "RBD",
				duet_xl_disk_format_name(d->format));
		if (d->script)
			return duet_xlspec_err(
				c->err, c->errlen,
				"an %s target takes no script= (the "
				"backend connects itself)",
				v == DUET_XL_TARGET_NBD ? "NBD" : "RBD");
	}
	if (!c->access_set)
		d->readwrite = !d->is_cdrom;
	if (!c->discard_set)
		d->discard = d->readwrite;
	if (!c->trusted_set)
		d->trusted = 1;
	switch (d->backendtype) {
	case DUET_XL_BACKENDTYPE_PHY:
		if (d->format != DUET_XL_FORMAT_RAW &&
		    d->format != DUET_XL_FORMAT_EMPTY)
			return duet_xlspec_err(
				c->err, c->errlen,
				"backendtype=phy takes only format=raw, "
				"not %s",
				duet_xl_disk_format_name(d->format));
		break;
	case DUET_XL_BACKENDTYPE_TAP:
		if (d->script)
			return duet_xlspec_err(
				c->err, c->errlen,
				"backendtype=tap does not take script=");
		if (d->is_cdrom)
			return duet_xlspec_err(
				c->err, c->errlen,
				"backendtype=tap does not take a cdrom");
		if (d->format != DUET_XL_FORMAT_RAW &&
		    d->format != DUET_XL_FORMAT_VHD)
			return duet_xlspec_err(
				c->err, c->errlen,
				"backendtype=tap takes format=raw or vhd, "
				"not %s",
				duet_xl_disk_format_name(d->format));
		break;
	case DUET_XL_BACKENDTYPE_QDISK:
		if (d->script)
			return duet_xlspec_err(
				c->err, c->errlen,
				"backendtype=qdisk does not take "
				"script=");
		break;
	case DUET_XL_BACKENDTYPE_AUTO:
		break;
	}
	return 0;
}

int duet_xl_disk_parse(const char *spec, struct duet_xl_disk *out, char *err,
		       size_t errlen)
{
	struct disk_ctx c;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	if (!spec)
		return duet_xlspec_err(err, errlen, "no disk spec");
	n = strnlen(spec, DUET_XL_SPEC_MAX + 1);
	if (n > DUET_XL_SPEC_MAX)
		return duet_xlspec_err(err, errlen,
				       "disk spec longer than %d bytes",
				       DUET_XL_SPEC_MAX);
	out->storage_ = malloc(n + 1);
	if (!out->storage_)
		return -ENOMEM;
	memcpy(out->storage_, spec, n + 1);
	memset(&c, 0, sizeof(c));
	c.d = out;
	c.err = err;
	c.errlen = errlen;
	rc = scan(&c, out->storage_);
	if (!rc)
		rc = finish(&c);
	if (rc) {
		duet_xl_disk_release(out);
		return rc;
	}
	return 0;
}

void duet_xl_disk_release(struct duet_xl_disk *d)
{
	if (!d)
		return;
	free(d->storage_);
	memset(d, 0, sizeof(*d));
}

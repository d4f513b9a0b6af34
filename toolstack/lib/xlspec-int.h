/* SPDX-License-Identifier: MIT */
/*
 * xlspec-int.h - helpers shared by the xl spec parsers (xlspec-*.c),
 * hidden from libduet.so's users.
 */
#ifndef DUET_TOOLSTACK_XLSPEC_INT_H
#define DUET_TOOLSTACK_XLSPEC_INT_H

#include <stddef.h>

#include "duet/parse.h"
#include "duet/xs.h"

#define DUET_XLSPEC_INTERNAL __attribute__((visibility("hidden")))

/* Longest excerpt of a spec quoted in an error message, in bytes. */
#define XL_QUOTE_MAX 48

/*
 * struct xl_quoted - a bounded, printable excerpt of hostile input for an
 * error message: at most XL_QUOTE_MAX bytes, control and non-ASCII bytes
 * shown as '?', "..." when cut, so that a reason stays one short line.
 */
struct xl_quoted {
	char s[XL_QUOTE_MAX + 4];
};

/* duet_xlspec_quote() - fill @q from the @n bytes at @p; returns q->s. */
DUET_XLSPEC_INTERNAL const char *
duet_xlspec_quote(struct xl_quoted *q, const char *p, size_t n);

/* duet_xlspec_quote_str() - duet_xlspec_quote() of a C string. */
DUET_XLSPEC_INTERNAL const char *
duet_xlspec_quote_str(struct xl_quoted *q, const char *s);

/*
 * duet_xlspec_err() - format a reason into @err (if @errlen > 0) and
 * return -EINVAL, so parsers can "return duet_xlspec_err(...)".
 */
DUET_XLSPEC_INTERNAL int duet_xlspec_err(char *err, size_t errlen,
					 const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * duet_xlspec_parse_backend() - check a backend= value: a domid
 * (decimal, below DUET_XL_DOMID_MAX) sets *@domid; a domain name
 * (printable, no '/', at most 64 bytes) sets *@domid to -1.  Returns 0 or
 * -EINVAL with the reason in @err.
 */
DUET_XLSPEC_INTERNAL int duet_xlspec_parse_backend(const char *val,
						   int *domid, char *err,
						   size_t errlen);

/* duet_xlspec_has_ctl() - 1 if the @n bytes at @p hold a control byte. */
DUET_XLSPEC_INTERNAL int duet_xlspec_has_ctl(const char *p, size_t n);

/*
 * duet_xl_device_dirs() - the frontend and backend directories of device
 * @kind ("vbd" | "vif") @devid of domain @domid.  The backend path comes
 * from /libxl/<domid>/device/<kind>/<devid>/backend (the toolstack's own
 * record; the guest-writable frontend's "backend" node is not trusted)
 * and must be /local/domain/<n>/backend/<vbd|qdisk|vif>/<domid>/<devid>
 * of the matching class.
 * @fe, @be: receive malloc'd paths (NULL on error).
 * Return: 0, -ENOENT (no such device), -EPROTO (malformed record),
 * -ENOMEM, another -errno from xenstore.
 */
DUET_XLSPEC_INTERNAL int duet_xl_device_dirs(struct duet_xs *xs,
					     duet_xs_tx_t tx, unsigned domid,
					     const char *kind, int devid,
					     char **fe, char **be);

/*
 * duet_xl_device_state() - the XenbusState in <@dir>/state: 0..8, 0 when
 * the node is missing or malformed, -errno when xenstore fails.
 */
DUET_XLSPEC_INTERNAL int duet_xl_device_state(struct duet_xs *xs,
					      duet_xs_tx_t tx,
					      const char *dir);

#endif /* DUET_TOOLSTACK_XLSPEC_INT_H */

/* SPDX-License-Identifier: MIT */
/*
 * sim/xsd-int.h - internals shared by the xenstore server's files:
 *   xsd-wire.c  message framing and argument parsing (pure functions)
 *   xsd-tree.c  the node store, permissions, transactions, quotas
 *   xsd-ops.c   one handler per request type
 *   xsd-conn.c  the server object, sockets, epoll, watches, output queues
 * Nothing here is for use outside sim/xsd-*.c and their tests.
 */
#ifndef DUET_SIM_XSD_INT_H
#define DUET_SIM_XSD_INT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/io/xs_wire.h>

#include "sim/xsd.h"

#define SIMXSD_HDR_LEN ((uint32_t)sizeof(struct xsd_sockmsg))
/* Domain ids at and above this are Xen's special DOMID_* values. */
#define SIMXSD_DOMID_MAX 0x7FF0u
/* Big enough for any canonical path plus its NUL. */
#define SIMXSD_PATH_BUF (XENSTORE_ABS_PATH_MAX + 1)

/* ------------------------------------------------------------------ */
/* Wire (xsd-wire.c)                                                   */
/* ------------------------------------------------------------------ */

/*
 * struct simxsd_req - a request split into its arguments.  Every pointer
 * points into the caller's message buffer; nothing is allocated.
 */
struct simxsd_req {
	/* header fields, host order (the protocol is native-endian) */
	uint32_t type;
	uint32_t req_id;
	uint32_t tx_id;
	/* the NUL-terminated string arguments the type takes, in order */
	const char *arg[3];
	unsigned int nargs;
	/* WRITE: the value (binary, may be empty); SET_PERMS: the first
	 * permission string and the bytes from there to the end */
	const char *data;
	uint32_t dlen;
};

/*
 * simxsd_wire_frame() - is a complete message at the start of @buf?
 * @buf, @len: bytes received so far.
 * @hdr: receives the header once 16 bytes are there.
 * Return: the total message length (header + payload) when complete, 0 if
 * more bytes are needed, -EMSGSIZE if the header announces more than
 * XENSTORE_PAYLOAD_MAX (the connection must then be closed).  Pure.
 */
int simxsd_wire_frame(const void *buf, size_t len, struct xsd_sockmsg *hdr);

/*
 * simxsd_wire_parse() - split a complete message's payload into the
 * arguments its type takes.
 * @hdr: the header; @payload: hdr->len bytes.
 * @req: filled in; pointers into @payload.
 * Return: 0; -ENOSYS for a type that is not a request; -EINVAL for a
 * missing NUL, a missing argument or trailing bytes where none belong.
 * Pure: reads only its arguments, writes only @req.
 */
int simxsd_wire_parse(const struct xsd_sockmsg *hdr, const char *payload,
		      struct simxsd_req *req);

/*
 * oxenstored's answer to a quota (node, watch, transaction) being reached
 * is "EQUOTA", a name xs_wire.h's table lacks; internally it is this errno.
 */
#define SIMXSD_EQUOTA EDQUOT

/*
 * simxsd_wire_errstr() - the E<NAME> string of a positive errno, from
 * xs_wire.h's xsd_errors table, "EQUOTA" for SIMXSD_EQUOTA; "EIO" for
 * anything else.
 */
const char *simxsd_wire_errstr(int err);

/*
 * simxsd_wire_parse_perm() - parse one "<n|r|w|b><domid>" string.
 * Return: 0, or -EINVAL (bad letter, no digits, trailing bytes, domid over
 * 65535).
 */
int simxsd_wire_parse_perm(const char *s, struct simxsd_perm *perm);

/*
 * simxsd_wire_parse_domid() - parse a decimal domid (0..65535).
 * Return: the domid, or -EINVAL.
 */
int simxsd_wire_parse_domid(const char *s);

/* ------------------------------------------------------------------ */
/* Store (xsd-tree.c)                                                  */
/* ------------------------------------------------------------------ */

/*
 * struct simxsd_node - one node, keyed by its full path.  The same type
 * holds a transaction's private copy of a node.
 */
struct simxsd_node {
	/* canonical absolute path; the hash key */
	char *path;
	/* value bytes (not NUL-terminated) */
	char *value;
	uint32_t vlen;
	/* leaf names of the children, each NUL-terminated, creation order */
	char *children;
	uint32_t clen;
	/* nperms >= 1 entries, the first naming the owner */
	struct simxsd_perm *perms;
	uint32_t nperms;
	/* store: the generation of the last change; copies: unused */
	uint64_t gen;
	/* copies: the store's generation when first accessed, 0 = absent */
	uint64_t base_gen;
	/* copies: the node does not exist in the transaction's view */
	bool absent;
	/* copies: changed by the transaction, to be written at commit */
	bool dirty;
	/* hash chain */
	struct simxsd_node *hnext;
};

/* struct simxsd_table - chained hash table of nodes by path. */
struct simxsd_table {
	struct simxsd_node **b;
	size_t nb;
	size_t n;
};

/* struct simxsd_permset - a borrowed or owned list of permissions. */
struct simxsd_permset {
	struct simxsd_perm *p;
	uint32_t n;
};

/*
 * struct simxsd_ev - a change to announce to watchers.  The permissions
 * are snapshots taken when the change happened: the node's (old and new,
 * for SET_PERMS) and its parent's; a watcher gets the event if any of them
 * lets it read.
 */
struct simxsd_ev {
	/* absolute path, or "@introduceDomain" / "@releaseDomain" */
	char *path;
	/* recursive removal: watches below path fire too */
	bool rm;
	struct simxsd_permset ps[3];
	struct simxsd_ev *next;
};

/* struct simxsd_txn - an open transaction of one connection. */
struct simxsd_txn {
	uint32_t id;
	/* the domain of the connection that started it */
	unsigned int domid;
	/* copies of every node read or written, incl. absent ones */
	struct simxsd_table nodes;
	/* events to fire at commit, in order */
	struct simxsd_ev *ev_head, **ev_tail;
	/* nodes owned by @domid created minus removed (quota estimate) */
	long node_delta;
	struct simxsd_txn *next;
};

/* struct simxsd_acct - per-domid accounting, indexed by domid. */
struct simxsd_acct {
	uint32_t nodes;
	uint32_t watches;
	uint32_t txns;
	bool introduced;
};

/*
 * struct simxsd_ctx - who performs an operation, and in which view.
 * @txn: NULL operates on the store directly and fires watches at once.
 * @quiet: fire no watches (oxenstored's release of a dead domain's nodes).
 */
struct simxsd_ctx {
	struct simxsd *xsd;
	unsigned int domid;
	struct simxsd_txn *txn;
	bool quiet;
};

/* Special watch paths and their index in simxsd->special. */
#define SIMXSD_SPECIAL_INTRODUCE 0
#define SIMXSD_SPECIAL_RELEASE 1
extern const char *const simxsd_special_names[2];

int simxsd_store_init(struct simxsd *xsd);
void simxsd_store_fini(struct simxsd *xsd);

/*
 * simxsd_path_canon() - canonicalize a request path for @domid into @out
 * (SIMXSD_PATH_BUF bytes).  Relative paths get /local/domain/<domid>/ in
 * front; with @allow_special, "@..." names pass as they are.
 * Return: 0 or -EINVAL.
 */
int simxsd_path_canon(unsigned int domid, const char *in, bool allow_special,
		      char *out);

/* simxsd_perm_for() - SIMXSD_PERM_* bits @domid has on @ps, plus
 * SIMXSD_PERM_OWNER for dom0 and the owner.  Entries marked
 * SIMXSD_PERM_IGNORE are skipped. */
#define SIMXSD_PERM_OWNER 4u
/*
 * In a stored entry's access: the C xenstored's XS_PERM_IGNORE, an entry
 * naming a domain that did not exist when it was set or has gone since;
 * shown by GET_PERMS, never granting anything.
 */
#define SIMXSD_PERM_IGNORE 0x10u
unsigned int simxsd_perm_for(unsigned int domid,
			     const struct simxsd_perm *p, uint32_t n);

/*
 * Operations.  @path is canonical.  Returned pointers stay valid until the
 * next change to the store or the transaction.  All return 0 or -errno
 * (ENOENT, EACCES, EPERM, ENOSPC, EINVAL, ENOMEM).
 */
int simxsd_op_read(struct simxsd_ctx *c, const char *path,
		   const struct simxsd_node **node);
int simxsd_op_write(struct simxsd_ctx *c, const char *path, const void *val,
		    uint32_t len);
int simxsd_op_mkdir(struct simxsd_ctx *c, const char *path);
int simxsd_op_rm(struct simxsd_ctx *c, const char *path);
int simxsd_op_set_perms(struct simxsd_ctx *c, const char *path,
			const struct simxsd_perm *perms, uint32_t n);
/*
 * simxsd_perms_check_domains() - [C] permissions being set must name an
 * existing (introduced) owner, else -ENOENT; other entries naming a domain
 * that does not exist get SIMXSD_PERM_IGNORE.  [ox] 0, @p unchanged.
 */
int simxsd_perms_check_domains(struct simxsd *xsd, struct simxsd_perm *p,
			       uint32_t n);

/* Transactions. */
int simxsd_txn_new(struct simxsd *xsd, unsigned int domid, uint32_t id,
		   struct simxsd_txn **out);
/* simxsd_txn_commit() - 0 and fire the events, or -EAGAIN; @txn is freed
 * either way. */
int simxsd_txn_commit(struct simxsd *xsd, struct simxsd_txn *txn);
void simxsd_txn_free(struct simxsd_txn *txn);

/*
 * simxsd_store_release() - what the flavour's daemon does to the store when
 * @domid goes away: remove the nodes it owns (with their subtrees), drop
 * ([ox]) or disable ([C]) its entries in other nodes' permissions, drop
 * them from the special nodes'.  @domid != 0.
 */
void simxsd_store_release(struct simxsd *xsd, unsigned int domid);

/* simxsd_is_ox() - does @xsd behave like oxenstored? */
bool simxsd_is_ox(const struct simxsd *xsd);

/* Events. */
void simxsd_ev_free(struct simxsd_ev *ev);
/* simxsd_fire_special() - fire @introduceDomain or @releaseDomain. */
void simxsd_fire_special(struct simxsd *xsd, int which);

/* ------------------------------------------------------------------ */
/* Requests (xsd-ops.c)                                                */
/* ------------------------------------------------------------------ */

struct simxsd_conn;

/*
 * simxsd_handle() - perform one parsed-and-framed message from @conn and
 * queue its reply (and any watch events) on the connections concerned.
 * Return: 0, or -EPROTO when the connection must be closed.
 */
int simxsd_handle(struct simxsd_conn *conn, const struct xsd_sockmsg *hdr,
		  const char *payload);

/* ------------------------------------------------------------------ */
/* Server and connections (xsd-conn.c)                                 */
/* ------------------------------------------------------------------ */

struct simxsd_watch {
	/* canonical absolute path, or "@..." */
	char *path;
	char *token;
	/* bytes to strip from event paths (relative watches), else 0 */
	uint32_t prefix_len;
	struct simxsd_watch *next;
};

/* Kinds of epoll registrations; the first member of each. */
enum { SIMXSD_EP_LISTEN = 1, SIMXSD_EP_CONN };

struct simxsd_domain {
	int kind;
	unsigned int domid;
	/* listening socket, -1 if none */
	int lfd;
	/* malloc'd socket path to unlink, or NULL */
	char *sock_path;
	struct simxsd_domain *next;
};

/* Input buffer: room for two maximal messages. */
#define SIMXSD_IN_BUF (2 * (SIMXSD_HDR_LEN + XENSTORE_PAYLOAD_MAX))

struct simxsd_conn {
	int kind;
	int fd;
	unsigned int domid;
	struct simxsd *xsd;
	/* received bytes not yet handled */
	char in[SIMXSD_IN_BUF];
	size_t inlen;
	/* queued output: out[outoff..outlen) */
	char *out;
	size_t outoff, outlen, outcap;
	/* EPOLLOUT is armed */
	bool want_out;
	/* broken: to be closed at the end of this dispatch */
	bool dead;
	struct simxsd_watch *watches;
	struct simxsd_txn *txns;
	struct simxsd_conn *next;
};

struct simxsd {
	struct simxsd_limits lim;
	enum simxsd_flavour flavour;
	int epfd;
	/* the store */
	struct simxsd_table nodes;
	uint64_t gen;
	/* [65536] */
	struct simxsd_acct *acct;
	/* permissions of @introduceDomain and @releaseDomain */
	struct simxsd_permset special[2];
	struct simxsd_domain *domains;
	struct simxsd_conn *conns;
	uint32_t next_txid;
};

/*
 * simxsd_conn_send() - queue a message of @type to @conn: header, then
 * @a (@alen bytes) and @b (@blen bytes).  A connection whose queue grows
 * past lim.out_max, or that fails to write, is marked dead.
 */
void simxsd_conn_send(struct simxsd_conn *conn, uint32_t type,
		      uint32_t req_id, uint32_t tx_id, const void *a,
		      size_t alen, const void *b, size_t blen);

/* simxsd_fire() - deliver @ev to every matching, permitted watch. */
void simxsd_fire(struct simxsd *xsd, const struct simxsd_ev *ev);

/* simxsd_conn_reset() - drop @conn's watches and transactions. */
void simxsd_conn_reset(struct simxsd_conn *conn);

/* simxsd_domain_introduce() - mark @domid introduced, create
 * /local/domain/<domid> if missing, fire @introduceDomain if it was not
 * introduced before and @domid != 0.  Return: 0 or -ENOMEM. */
int simxsd_domain_introduce(struct simxsd *xsd, unsigned int domid);

#endif /* DUET_SIM_XSD_INT_H */

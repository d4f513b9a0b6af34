/* SPDX-License-Identifier: MIT */
/*
 * sim/xsd.h - the simulator's xenstore server.
 *
 * A xenstore daemon that speaks Xen's xs_wire protocol (xen/io/xs_wire.h)
 * over unix sockets, so that the stock libxenstore and xenstore-* tools work
 * against it unchanged (XENSTORED_PATH=<socket>).  Each simulated domain
 * gets its own listening socket; every connection accepted on it acts as
 * that domain, which is how the server knows a peer's domid without Xen.
 *
 * Semantics follow Xen's docs/misc/xenstore.txt and the real daemons; where
 * Xen 4.17's two daemons differ the server behaves like the one of its
 * flavour (enum simxsd_flavour, marked [ox] and [C] below):
 *  - paths: absolute, or relative to /local/domain/<domid>; characters
 *    [A-Za-z0-9/_@-]; no "//", no trailing '/'; at most 3072 bytes;
 *  - permissions: the first entry names the owner and the access of every
 *    domain not listed later ("n", "r", "w", "b"); the owner and dom0 have
 *    full access; only they may change permissions, and an unprivileged
 *    owner may not give a node away; a new node copies its parent's
 *    permissions; [C] a node created by an unprivileged domain is owned by
 *    that domain, [ox] the owner stays the parent's;
 *  - [C] setting permissions whose owner is a domain that does not exist
 *    answers ENOENT; other entries naming such a domain are kept (and
 *    shown) but grant nothing; [ox] any domid is accepted;
 *  - a missing node: [C] under an ancestor the caller may not access it
 *    answers EACCES, not ENOENT, so that nothing leaks; [ox] always ENOENT
 *    (creating it still needs write access to the closest ancestor);
 *    removing a missing node whose parent exists succeeds, [ox] even when
 *    the caller may not write the parent;
 *  - a domain going away (simxsd_domain_remove(), XS_RELEASE): every node
 *    it owns is removed with everything below it ([C] firing watches as
 *    for XS_RM, [ox] silently); [ox] its entries in other nodes'
 *    permissions are dropped, [C] they stay (shown) but grant nothing even
 *    if the domid comes back; both drop its entries from @introduceDomain
 *    and @releaseDomain;
 *  - unprivileged connections stand for Linux's /dev/xen/xenbus, which
 *    keeps a domU's watches itself: UNWATCH of a watch that is not set
 *    answers OK there (ENOENT for dom0, whose tools use the socket);
 *  - watches fire once when set, then for every change of the node or a
 *    descendant, and with the watched path itself when an ancestor is
 *    removed; changes made inside a transaction fire when it commits;
 *    events go only to watchers that may read the node or its parent;
 *  - transactions record the generation of every node they touch; a commit
 *    fails with EAGAIN when any of them changed meanwhile;
 *  - quotas apply to unprivileged domains only (dom0 is exempt): [C] nodes
 *    owned (ENOSPC), watches (E2BIG), open transactions (ENOSPC), value
 *    size (ENOSPC), permission entries per node (ENOSPC); [ox] nodes,
 *    watches and transactions answer "EQUOTA" on the wire (not in
 *    xs_wire.h's table: libxenstore makes it EINVAL), a new node counts
 *    against its owner (the parent's owner; none if that is dom0), and
 *    the value size applies to dom0 too and answers E2BIG; the limit on
 *    permission entries is the simulator's own (ENOSPC in both);
 *  - a message longer than XENSTORE_PAYLOAD_MAX closes the connection, as
 *    in xenstored; any other malformed request gets an error reply;
 *  - INTRODUCE (dom0 only; mfn and port are ignored) marks a domid
 *    introduced, creates /local/domain/<domid> if missing and fires
 *    @introduceDomain; RELEASE clears the mark, releases the domain's
 *    nodes and permission entries as above and fires @releaseDomain, but
 *    leaves the domain's socket and connections alone (that is
 *    simxsd_domain_remove()'s job); SET_TARGET and CONTROL answer ENOSYS.
 *
 * Threading: the server owns no thread and never blocks.  The embedder
 * polls simxsd_fd() and calls simxsd_dispatch() when it is readable; every
 * function must be called from that one thread.
 */
#ifndef DUET_SIM_XSD_H
#define DUET_SIM_XSD_H

#include <stddef.h>
#include <stdint.h>

struct simxsd;

/* Default quotas, the same as the C xenstored's. */
#define SIMXSD_DEF_NODES 1000
#define SIMXSD_DEF_WATCHES 128
#define SIMXSD_DEF_TRANSACTIONS 10
#define SIMXSD_DEF_VALUE_SIZE 2048
#define SIMXSD_DEF_PERMS 5
#define SIMXSD_DEF_OUT_MAX (16u << 20)

/*
 * struct simxsd_limits - per-domain quotas.  Dom0 is exempt from all but
 * out_max.  Zero in a field means "use the default".
 */
struct simxsd_limits {
	/* nodes an unprivileged domain may own */
	unsigned int nodes;
	/* watches an unprivileged domain may hold, over all its connections */
	unsigned int watches;
	/* transactions an unprivileged domain may have open */
	unsigned int transactions;
	/* largest value an unprivileged domain may write, in bytes */
	unsigned int value_size;
	/* permission entries an unprivileged domain may set on one node */
	unsigned int perms;
	/* bytes queued towards one connection before it is dropped as stuck */
	size_t out_max;
};

/* Access bits of a permission entry ("n" = 0, "r", "w", "b" = both). */
#define SIMXSD_PERM_READ 1u
#define SIMXSD_PERM_WRITE 2u

/* struct simxsd_perm - one permission entry of a node. */
struct simxsd_perm {
	/* domain the entry is about; the first entry's is the owner */
	uint32_t domid;
	/* SIMXSD_PERM_* bits */
	uint32_t access;
};

/*
 * enum simxsd_flavour - which of Xen's xenstore daemons the server behaves
 * like where they differ (see the list above; tests/xen/ entry h compares
 * both with the real ones).
 * @SIMXSD_OXENSTORED: oxenstored, the OCaml daemon Debian starts (default).
 * @SIMXSD_XENSTORED: the C xenstored.
 */
enum simxsd_flavour {
	SIMXSD_OXENSTORED = 0,
	SIMXSD_XENSTORED = 1,
};

/*
 * simxsd_flavour_parse() - "oxenstored" or "xenstored" to its flavour.
 * Return: the flavour, or -EINVAL for any other string (or NULL).
 */
int simxsd_flavour_parse(const char *name);

/* simxsd_flavour_name() - the daemon's name of @f, "?" if out of range. */
const char *simxsd_flavour_name(enum simxsd_flavour f);

/*
 * simxsd_set_flavour() - choose the daemon the server behaves like; call it
 * before the first domain is added (permissions already in the store are
 * not converted).
 * Return: 0, or -EINVAL for an unknown flavour.
 */
int simxsd_set_flavour(struct simxsd *xsd, enum simxsd_flavour f);

/*
 * simxsd_create() - make a server with an empty store ("/", "/local",
 * "/local/domain", all owned by dom0 with no access for others).
 * @lim: quotas, or NULL for the defaults.
 * @out: receives the server; owned by the caller, free with
 *	simxsd_destroy().
 *
 * No domain exists yet: add dom0 with simxsd_domain_add().
 * Return: 0, or -ENOMEM / -errno from epoll_create1(); *out untouched.
 */
int simxsd_create(const struct simxsd_limits *lim, struct simxsd **out);

/*
 * simxsd_destroy() - close every socket and connection and free the
 * server.  Socket files created by simxsd_domain_add() are unlinked.
 * @xsd: the server, or NULL.
 */
void simxsd_destroy(struct simxsd *xsd);

/*
 * simxsd_domain_add() - make a domain known to the server.
 * @xsd: the server.
 * @domid: 0..65535 (DOMID_FIRST_RESERVED and above are refused).
 * @sock_path: path of a unix socket to bind and listen on; connections
 *	accepted on it act as @domid.  NULL: no socket (connections can still
 *	be handed in with simxsd_conn_add()).  A stale socket file at the path
 *	is replaced; any other kind of file gives -EEXIST.
 *
 * Creates /local/domain/<domid> if it is missing, owned by @domid (for dom0
 * by dom0), marks the domain introduced and, for @domid != 0, fires
 * @introduceDomain.
 * Return: 0; -EEXIST if @domid was already added; -EINVAL for a bad domid;
 * -ENAMETOOLONG if @sock_path does not fit a sockaddr_un; -errno from
 * socket()/bind()/listen(); -ENOMEM.  On error nothing changed.
 */
int simxsd_domain_add(struct simxsd *xsd, unsigned int domid,
		      const char *sock_path);

/*
 * simxsd_domain_remove() - forget a domain: close its socket (and unlink
 * the file) and its connections, which drops their watches and open
 * transactions; mark it not introduced, release it as the flavour's daemon
 * does (its nodes go, see above) and fire @releaseDomain.  Removing
 * /local/domain/<domid> first is the toolstack's job (simxsd_rm()), as
 * with libxl: a node of that tree owned by another domain stays
 * otherwise.
 * @xsd: the server.
 * @domid: a domain added with simxsd_domain_add().
 * Return: 0, or -ENOENT if @domid is unknown.
 */
int simxsd_domain_remove(struct simxsd *xsd, unsigned int domid);

/*
 * simxsd_conn_add() - serve an already connected stream socket as a
 * connection of @domid (e.g. one end of a socketpair()).
 * @xsd: the server.
 * @domid: a domain added with simxsd_domain_add().
 * @fd: connected SOCK_STREAM socket; the server takes ownership of it on
 *	success and sets it non-blocking.
 * Return: 0; -ENOENT for an unknown domain; -ENOMEM or -errno from epoll.
 * On error @fd is still the caller's.
 */
int simxsd_conn_add(struct simxsd *xsd, unsigned int domid, int fd);

/*
 * simxsd_fd() - the one file descriptor to poll for readability (an epoll
 * fd covering every socket of the server).  Owned by the server.
 */
int simxsd_fd(struct simxsd *xsd);

/*
 * simxsd_dispatch() - handle every event that is ready, without blocking:
 * accept connections, read and answer requests, deliver watch events,
 * flush queued output, close broken or hung-up connections.
 * @xsd: the server.
 * Return: the number of events handled (0 if none were ready), or -errno
 * if epoll_wait() itself failed.  Misbehaving peers never make it fail.
 */
int simxsd_dispatch(struct simxsd *xsd);

/*
 * Direct store access for the embedding daemon, with dom0's privileges and
 * outside any transaction.  Watches fire as for a request on the wire.
 * Paths must be absolute.
 */

/*
 * simxsd_write() - write @len bytes of @val at @path, creating missing
 * parents.  Return: 0, -EINVAL for a bad path, -ENOMEM.
 */
int simxsd_write(struct simxsd *xsd, const char *path, const void *val,
		 size_t len);

/*
 * simxsd_read() - read the value at @path.
 * @val: receives a malloc'd copy with a NUL appended (not counted in @len);
 *	the caller frees it.
 * @len: receives the value length, or NULL.
 * Return: 0, -ENOENT, -EINVAL for a bad path, -ENOMEM; *val untouched on
 * error.
 */
int simxsd_read(struct simxsd *xsd, const char *path, char **val,
		size_t *len);

/*
 * simxsd_rm() - remove @path and everything below it.
 * Return: 0 (also if @path did not exist but its parent does), -ENOENT if
 * the parent is missing too, -EINVAL for a bad path or "/".
 */
int simxsd_rm(struct simxsd *xsd, const char *path);

/*
 * simxsd_set_perms() - replace the permissions of @path, which may also be
 * "@introduceDomain" or "@releaseDomain": their permissions decide which
 * domains get those events (default "n0": dom0 only), e.g. give a driver
 * domain r to let it notice its frontends' deaths.
 * @perms: @n >= 1 entries, the first naming the owner; copied.
 * Return: 0, -ENOENT, -EINVAL (bad path, n == 0, domid > 65535).
 */
int simxsd_set_perms(struct simxsd *xsd, const char *path,
		     const struct simxsd_perm *perms, unsigned int n);

#endif /* DUET_SIM_XSD_H */

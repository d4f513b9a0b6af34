/* SPDX-License-Identifier: MIT */
/*
 * duet/xs.h - the xenstore handle of a platform.
 *
 * A thin, errno-returning wrapper over libxenstore, connected to the
 * xenstore of the same platform as the struct duet_platform it is opened
 * from (real xenstored on Xen, the simulator's server on sim).  Watches are
 * delivered through a pollable fd, so the embedder owns the event loop.
 *
 * Paths are absolute ("/local/domain/1/device/vbd/51712/state") or
 * relative to the connection's own domain path.  Values are strings; a
 * value read is NUL-terminated.  Transactions: pass DUET_XS_NO_TX outside a
 * transaction.  A handle may be used from one thread at a time.
 */
#ifndef DUET_XS_H
#define DUET_XS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct duet_platform;
struct duet_xs;

/** A transaction id; DUET_XS_NO_TX is "not in a transaction". */
typedef uint32_t duet_xs_tx_t;
#define DUET_XS_NO_TX 0u

/**
 * duet_xs_open() - connect to @p's xenstore.
 * Returns 0 or -errno (-ENOENT/-ECONNREFUSED when no xenstore answers).
 * Not thread-safe with respect to other duet_xs_open() calls (the
 * simulator's socket path is passed to libxenstore through the
 * environment).
 */
int duet_xs_open(struct duet_platform *p, struct duet_xs **out);

/** duet_xs_close() - close the connection, dropping its watches. */
void duet_xs_close(struct duet_xs *xs);

/**
 * duet_xs_read() - read a node.
 * @val: receives a malloc'd NUL-terminated copy; the caller frees it.
 * Returns the value's length, or -ENOENT, -EACCES, -errno.
 */
int duet_xs_read(struct duet_xs *xs, duet_xs_tx_t tx, const char *path,
		 char **val);

/** duet_xs_write() - write a string value, creating the node (and
 *  missing parents). Returns 0 or -errno. */
int duet_xs_write(struct duet_xs *xs, duet_xs_tx_t tx, const char *path,
		  const char *val);

/** duet_xs_printf() - duet_xs_write() of a formatted value. */
int duet_xs_printf(struct duet_xs *xs, duet_xs_tx_t tx, const char *path,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/** duet_xs_mkdir() - create an empty node. Returns 0 or -errno. */
int duet_xs_mkdir(struct duet_xs *xs, duet_xs_tx_t tx, const char *path);

/** duet_xs_rm() - remove a node and its children. Returns 0 or -errno
 *  (removing a missing node is 0, as xenstored answers). */
int duet_xs_rm(struct duet_xs *xs, duet_xs_tx_t tx, const char *path);

/**
 * duet_xs_directory() - list a node's children.
 * @names: receives a malloc'd array of @count strings in one allocation:
 *         free(*names) frees everything.
 * Returns the number of children or -errno.
 */
int duet_xs_directory(struct duet_xs *xs, duet_xs_tx_t tx, const char *path,
		      char ***names);

/** Permission bits of one duet_xs_perm entry (xenstore's n/r/w/b). */
#define DUET_XS_PERM_NONE 0u
#define DUET_XS_PERM_READ 1u
#define DUET_XS_PERM_WRITE 2u
#define DUET_XS_PERM_BOTH (DUET_XS_PERM_READ | DUET_XS_PERM_WRITE)

/**
 * struct duet_xs_perm - one entry of a node's permission list.  The first
 * entry names the owner and the access of every domain not listed later.
 */
struct duet_xs_perm {
	unsigned domid;
	unsigned perms;
};

/** duet_xs_set_perms() - set a node's permission list. 0 or -errno. */
int duet_xs_set_perms(struct duet_xs *xs, duet_xs_tx_t tx, const char *path,
		      const struct duet_xs_perm *perms, unsigned count);

/**
 * duet_xs_get_perms() - read up to @max entries of a node's permission
 * list into @perms.  Returns the number of entries the node has (may be
 * more than @max) or -errno.
 */
int duet_xs_get_perms(struct duet_xs *xs, duet_xs_tx_t tx, const char *path,
		      struct duet_xs_perm *perms, unsigned max);

/** duet_xs_tx_start() - begin a transaction. Returns 0 or -errno. */
int duet_xs_tx_start(struct duet_xs *xs, duet_xs_tx_t *tx);

/**
 * duet_xs_tx_end() - commit (@abort = 0) or abort a transaction.
 * Returns 0, or -EAGAIN when the commit conflicted with another writer
 * (nothing was written: run the transaction again), or -errno.
 */
int duet_xs_tx_end(struct duet_xs *xs, duet_xs_tx_t tx, int abort);

/**
 * duet_xs_watch() - watch @path and everything below it.  The first event
 * arrives at once (xenstore's rule); events may be coalesced or spurious,
 * so the reader re-reads the nodes it cares about.  @token is echoed in
 * every event.  Returns 0 or -errno.
 */
int duet_xs_watch(struct duet_xs *xs, const char *path, const char *token);

/** duet_xs_unwatch() - remove a watch set with the same path/token. */
int duet_xs_unwatch(struct duet_xs *xs, const char *path, const char *token);

/** duet_xs_fd() - readable when a watch event may be waiting. */
int duet_xs_fd(struct duet_xs *xs);

/**
 * duet_xs_read_watch() - take one pending watch event without blocking.
 * @path, @token: receive malloc'd copies in one allocation: free(*path)
 *                frees both.
 * Returns 1 with an event, 0 when none is pending, or -errno.
 */
int duet_xs_read_watch(struct duet_xs *xs, char **path, char **token);

/**
 * duet_xs_domain_path() - "/local/domain/<domid>" as xenstore says.
 * @path: receives a malloc'd string.  Returns its length or -errno.
 */
int duet_xs_domain_path(struct duet_xs *xs, unsigned domid, char **path);

#ifdef __cplusplus
}
#endif

#endif /* DUET_XS_H */

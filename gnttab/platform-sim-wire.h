/* SPDX-License-Identifier: MIT */
/*
 * platform-sim-wire.h - the control protocol between libduet's "sim"
 * platform (platform-sim.c) and the simulator daemon (sim/simd*.c).
 *
 * Transport: one AF_UNIX SOCK_SEQPACKET socket per domain,
 * <dir>/ctl-<domid>.sock.  The daemon knows a connection's domain from the
 * socket it was accepted on, so a client cannot claim to be another domain.
 * Every request is one message: a struct duet_sim_req, then an op-specific
 * array.  The daemon answers every request with exactly one message: a
 * struct duet_sim_rep, then an op-specific array, in order.  Descriptors
 * travel as SCM_RIGHTS ancillary data on the same message.
 *
 * Who owns what:
 *  - a SHARE request carries a sealed memfd (F_SEAL_GROW|F_SEAL_SHRINK)
 *    made by the granter; the daemon keeps its own reference and maps it,
 *    so that grant copy happens in the daemon and a copier never receives
 *    a descriptor of a granted page;
 *  - a COPY_AREA request carries a sealed memfd of DUET_SIM_COPY_AREA
 *    bytes, the client's copy area: the local side of every grant copy
 *    (sources in the first half, destinations in the second, each in
 *    segment order) travels through it instead of through the socket.
 *    It is the client's own memory, shared with the daemon only, and
 *    carries data only: the daemon reads segments and lengths from the
 *    message, never from the area;
 *  - a COPY_BUF request carries a sealed memfd of count pages, a copy
 *    buffer (duet_gnt_copy_buf_alloc()): like the area, the client's own
 *    memory shared with the daemon only, but a COPY segment names a byte
 *    range of it (DUET_SIM_COPY_SRC_BUF / _DST_BUF) and the daemon copies
 *    straight to or from there, checking the range against the buffer;
 *  - a MAP reply carries one descriptor per distinct share, read-only
 *    (reopened O_RDONLY) when the mapping is read-only, so that the kernel
 *    refuses writes;
 *  - a TRANSFER request carries the one-page memfd being given away; the
 *    TRANSFER_ACCEPT reply hands it to the receiver;
 *  - EVT_ALLOC, EVT_BIND and EVT_NOTIFY replies carry port doorbells
 *    (eventfds): a client gets its own ports' and, once bound, its peers'
 *    (sim/simd-evt.c says why that keeps isolation).
 *
 * Not part of the public API; both sides are built from the same tree,
 * and HELLO refuses a different DUET_SIM_WIRE_VERSION.
 */
#ifndef DUET_GNTTAB_PLATFORM_SIM_WIRE_H
#define DUET_GNTTAB_PLATFORM_SIM_WIRE_H

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/*
 * Bumped on any change of a message, an op's meaning or a shared layout
 * (struct duet_sim_evt_cell included): v5 added the cell's @masked.
 */
#define DUET_SIM_WIRE_VERSION 5

/* Socket file names inside the simulator directory. */
#define DUET_SIM_CTL_FMT "%s/ctl-%u.sock"
#define DUET_SIM_XS_FMT "%s/xs-%u.sock"

/* Limits of one message. */
#define DUET_SIM_DATA_MAX (64u * 1024u)     /* copy payload, each way */
#define DUET_SIM_MSG_MAX (DUET_SIM_DATA_MAX + 8192u)
#define DUET_SIM_SHARE_MAX 1024u            /* pages per SHARE / OFFER */
#define DUET_SIM_MAP_MAX 128u               /* refs per MAP (the client
					     * sends larger maps in
					     * several MAP requests) */
#define DUET_SIM_COPY_MAX 128u              /* segments per COPY */
#define DUET_SIM_COPY_AREA (2u * DUET_SIM_COPY_MAX * 4096u) /* 1 MiB */
#define DUET_SIM_COPY_BUFS 64u              /* copy buffers per connection */
#define DUET_SIM_COPY_BUF_PAGES 16384u      /* pages per copy buffer */
#define DUET_SIM_NAME_MAX 64u               /* domain / netns names */

/* Operations (duet_sim_req.op). */
enum duet_sim_op {
	/* count = DUET_SIM_WIRE_VERSION; rep.rc = our domid */
	DUET_SIM_OP_HELLO = 1,
	/* domid = grantee, count, flags = DUET_GNT_*; fd = memfd of count
	 * pages; rep.id = share id, rep array = uint32_t refs[count] */
	DUET_SIM_OP_SHARE,
	/* id = share id */
	DUET_SIM_OP_UNSHARE,
	/* domid = granter, count, flags; array = uint32_t refs[count];
	 * rep.id = map id, rep.count = number of fds, rep array =
	 * struct duet_sim_map_page[count], fds in the ancillary data */
	DUET_SIM_OP_MAP,
	/* id = map id */
	DUET_SIM_OP_UNMAP,
	/* count; array = struct duet_sim_copy_seg[count] and nothing else;
	 * needs the connection's copy area (COPY_AREA): the bytes of every
	 * segment whose source is local are read from the area's first half,
	 * packed in segment order, and those of every segment whose
	 * destination is local written to its second half, likewise (left
	 * as they were where the status is not 0); a local side flagged
	 * DUET_SIM_COPY_*_BUF is a range of a copy buffer instead and takes
	 * no room in the area; rep array = int32_t status[count].  Without
	 * an area: -EINVAL. */
	DUET_SIM_OP_COPY,
	/* domid = sender, count; rep array = uint32_t refs[count] */
	DUET_SIM_OP_XFER_OFFER,
	/* domid = receiver, ref; fd = one-page memfd given away */
	DUET_SIM_OP_XFER,
	/* ref; rep: the page's fd in the ancillary data */
	DUET_SIM_OP_XFER_ACCEPT,
	/* no descriptor; turns this connection into an event-channel
	 * handle; rep.count = the domain's ports, fd = their binding
	 * generations (uint32_t each, read-only; see sim/simd-evt.c) */
	DUET_SIM_OP_EVT_OPEN,
	/* domid = remote; rep.rc = local port, fds = its doorbell (an
	 * eventfd: readable when the port has events) and its cell (a
	 * memfd of DUET_SIM_EVT_CELL_SIZE bytes, struct duet_sim_evt_cell) */
	DUET_SIM_OP_EVT_ALLOC,
	/* domid = remote, port = remote port; rep.rc = local port, fds =
	 * its doorbell and cell, then the remote port's (to notify, set
	 * pending and write 1 unless masked or awake: struct
	 * duet_sim_evt_cell), rep.id = the local port's generation */
	DUET_SIM_OP_EVT_BIND,
	/* port; delivers, and when the port is bound answers with the
	 * remote port's doorbell and cell (fds) and the local port's
	 * generation (rep.id), for direct notifies while it holds */
	DUET_SIM_OP_EVT_NOTIFY,
	/* port */
	DUET_SIM_OP_EVT_UNBIND,
	/* dom0 only.  flags = DUET_SIM_DOM_NETNS; array = name (no NUL);
	 * rep.rc = new domid */
	DUET_SIM_OP_DOM_CREATE,
	/* dom0 only.  domid */
	DUET_SIM_OP_DOM_DESTROY,
	/* dom0 only.  domid; rep array = struct duet_sim_dom_info */
	DUET_SIM_OP_DOM_INFO,
	/* dom0 only.  rep array = text, one line per domain */
	DUET_SIM_OP_STATUS,
	/* dom0 only.  The daemon answers, then shuts down. */
	DUET_SIM_OP_STOP,
	/* domid = the only foreign domain this connection may act on from
	 * now on (duet_platform_restrict()).  Irreversible: restricting
	 * again to another domain is -EPERM, to the same one 0.  After it,
	 * SHARE, MAP, COPY segments, XFER_OFFER, XFER, EVT_ALLOC and
	 * EVT_BIND naming any domain other than that one and the
	 * connection's own answer -EPERM, and the dom0 admin operations
	 * too.  An older daemon answers -EOPNOTSUPP (unknown op). */
	DUET_SIM_OP_RESTRICT,
	/* fd = the connection's copy area, a sealed memfd of exactly
	 * DUET_SIM_COPY_AREA bytes; once per connection (again: -EEXIST) */
	DUET_SIM_OP_COPY_AREA,
	/* count = pages (1..DUET_SIM_COPY_BUF_PAGES); fd = a sealed memfd
	 * of count pages, a copy buffer; rep.id = its id (1..
	 * DUET_SIM_COPY_BUFS); -ENOSPC when the connection has that many */
	DUET_SIM_OP_COPY_BUF,
	/* id = copy buffer id; the daemon unmaps it */
	DUET_SIM_OP_COPY_BUF_FREE,
	DUET_SIM_OP_MAX
};

#define DUET_SIM_DOM_NETNS 0x1u

/*
 * struct duet_sim_evt_cell - a port's cell, shared by its owner and its
 * bound peer (both map it read-write; nobody else has it) and the daemon
 * (sim/simd-evt.c maps its own): the port's event and its mask, Xen's
 * 2-level evtchn_pending and evtchn_mask bits for one port; the doorbell
 * only wakes, as Xen's upcall does.  A memfd is zero when made, so a new
 * port starts with every word 0.
 * @pending: the event.  Set to 1 by a notifier (the bound peer, or the
 *           daemon: a first notify, the peer's close) before it loads
 *           @masked and @awake; taken (exchanged to 0) by the owner.
 * @awake:   1 while the owner is inside duet_evtchn_pending() spinning
 *           (DUET_SIM_EVTCHN_SPIN_US) and will look at @pending before it
 *           sleeps.  Written by the owner only.
 * @masked:  1 from the moment the owner takes the port's event (stored
 *           before it exchanges @pending) until it unmasks the port.
 *           Written by the owner only; a hint to notifiers, the owner's
 *           own copy of its mask stays in its handle.
 *
 * Notifier: store pending = 1; load masked; load awake; only when both
 * were 0, write 1 to the port's doorbell.  Xen's evtchn_set_pending()
 * likewise raises the upcall only for a port that is not masked.
 *
 * All three words are accessed sequentially consistently, and two Dekker
 * pairs, each a store then a load on either side, make sure that no
 * event is left set with nobody to ring for it:
 *  - pending/awake: the owner stores awake = 0, then loads pending (and
 *    rings its own doorbell for an unmasked port whose word is set, or
 *    returns it); the notifier stores pending, then loads awake.  In the
 *    single order of seq-cst operations one of the two stores comes
 *    first, so the other side's load sees it: the owner finds the word,
 *    or the notifier finds awake = 0 and rings.
 *  - pending/masked: the unmasker stores masked = 0, then loads pending
 *    and rings its own doorbell when it is set (Xen's evtchn_unmask()
 *    re-raises a pending event the same way); the notifier stores
 *    pending, then loads masked.  Either the unmasker sees the word and
 *    rings, or the notifier sees masked = 0 and rings (or skips it for
 *    awake, and the first pair takes over).  Both may ring: one event,
 *    two doorbell writes, and the count left after the event was taken
 *    is a wake with no event, which the owner drains (never a loss).
 * Taking stores masked = 1 before it exchanges pending: a notify that
 * sets the word after the exchange (so after the store) loads masked = 1
 * and does not ring, so a masked port does not wake its owner.  A notify
 * that set the word before then is part of the event taken.
 *
 * The peer may write every word (it maps the cell read-write): clearing
 * @masked or @awake costs its owner a spurious wake, setting them or
 * clearing @pending loses only the peer's own events and the daemon's
 * last event of the peer's close (which Xen does not send); the owner
 * never trusts a word of its cell for its own state.
 */
struct duet_sim_evt_cell {
	uint32_t pending;
	uint32_t awake;
	uint32_t masked;
};
#define DUET_SIM_EVT_CELL_SIZE 4096u

/*
 * The notifier's step above, for a client's notify and the daemon's
 * deliver() alike: set @c's event; 1 when the caller must write 1 to the
 * port's doorbell, 0 when the owner masked the port or is awake in a
 * spin.  Seq-cst store, then loads: the notifier's half of both Dekker
 * pairs (masked with the owner's cell_unmask(), awake with its spin(),
 * gnttab/platform-sim.c).
 */
static inline int duet_sim_evt_cell_notify(struct duet_sim_evt_cell *c)
{
	atomic_store((_Atomic uint32_t *)&c->pending, 1);
	return !atomic_load((_Atomic uint32_t *)&c->masked) &&
	       !atomic_load((_Atomic uint32_t *)&c->awake);
}

/*
 * struct duet_sim_req - head of every request.
 * @op:    enum duet_sim_op.
 * @count: pages, refs or segments, per op.
 * @flags: per op.
 * @domid: the other domain the op is about.
 * @id:    share or map id.
 * @ref:   grant reference.
 * @port:  event-channel port.
 */
struct duet_sim_req {
	uint32_t op;
	uint32_t count;
	uint32_t flags;
	uint32_t domid;
	uint64_t id;
	uint32_t ref;
	uint32_t port;
};

/*
 * struct duet_sim_rep - head of every reply.
 * @rc:    0, a count/port/domid, or -errno.
 * @count: per op (MAP: number of descriptors).
 * @id:    per op (SHARE: share id, MAP: map id).
 */
struct duet_sim_rep {
	int32_t rc;
	uint32_t count;
	uint64_t id;
};

/*
 * struct duet_sim_map_page - where one mapped page lives.
 * @fd_idx: index into the reply's descriptors.
 * @pgoff:  page offset inside that descriptor's file.
 */
struct duet_sim_map_page {
	uint32_t fd_idx;
	uint32_t pgoff;
};

/*
 * struct duet_sim_copy_seg - one grant-copy segment on the wire.
 * @src_ref, @src_domid, @src_off: foreign source (DUET_GNT_COPY_SRC_GREF);
 *         with DUET_SIM_COPY_SRC_BUF instead, a local source in a copy
 *         buffer: @src_domid = its id, @src_ref = the byte offset.
 * @dst_ref, @dst_domid, @dst_off: foreign destination (..._DST_GREF), or
 *         a copy buffer's range likewise (DUET_SIM_COPY_DST_BUF).
 * @len:   bytes, at most DUET_PAGE_SIZE.
 * @flags: DUET_GNT_COPY_* and DUET_SIM_COPY_*_BUF bits.
 */
#define DUET_SIM_COPY_SRC_BUF 0x100u
#define DUET_SIM_COPY_DST_BUF 0x200u
struct duet_sim_copy_seg {
	uint32_t src_ref;
	uint32_t dst_ref;
	uint16_t src_domid;
	uint16_t dst_domid;
	uint16_t src_off;
	uint16_t dst_off;
	uint16_t len;
	uint16_t flags;
};

/*
 * struct duet_sim_dom_info - DOM_INFO reply.
 * @domid: the domain.
 * @name:  its name, NUL-terminated.
 * @netns: its network namespace (under /run/netns), or "" for none.
 */
struct duet_sim_dom_info {
	uint32_t domid;
	char name[DUET_SIM_NAME_MAX];
	char netns[DUET_SIM_NAME_MAX];
};

/*
 * duet_sim_ctl_connect() - connect to domain @domid's control socket in
 * simulator directory @dir.  Return: the connected SOCK_SEQPACKET socket
 * (close-on-exec), or -ENAMETOOLONG, or the -errno of socket()/connect().
 */
static inline int duet_sim_ctl_connect(const char *dir, unsigned domid)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, n;

	n = snprintf(sa.sun_path, sizeof(sa.sun_path), DUET_SIM_CTL_FMT, dir,
		     domid);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	return fd;
}

/*
 * duet_sim_take_fds() - the descriptors (SCM_RIGHTS) of received message
 * @mh: they are appended to @fds while *@nfds < @max, the others are
 * closed.  Return: how many the message carried.
 */
static inline unsigned duet_sim_take_fds(struct msghdr *mh, int *fds,
					 unsigned max, unsigned *nfds)
{
	struct cmsghdr *cm;
	unsigned got = 0;
	size_t i, k;

	for (cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		const int *in = (const int *)CMSG_DATA(cm);

		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k; i++, got++) {
			if (*nfds < max)
				fds[(*nfds)++] = in[i];
			else
				close(in[i]);
		}
	}
	return got;
}

#endif /* DUET_GNTTAB_PLATFORM_SIM_WIRE_H */

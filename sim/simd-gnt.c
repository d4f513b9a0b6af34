/* SPDX-License-Identifier: MIT */
/*
 * sim/simd-gnt.c - the simulator's grant tables: share, end access, map,
 * unmap, copy, and page transfer (accept-transfer grants).
 *
 * Each domain has a table of v1-like entries (struct simd_gnt), bounded by
 * grant_frames x SIMD_GNT_PER_FRAME; refs 0..SIMD_GNT_RESERVED-1 are never
 * handed out, as in Linux.  Running out answers -ENOSPC and changes
 * nothing.
 *
 * Every access names (granter domid, ref) and is checked against the
 * granter's entry: ref in range, entry in use and not revoked, granted to
 * the caller's domain, writable unless the access only reads.  The
 * caller's domain is the socket the request came in on, never a field of
 * the request.
 *
 * Where the OS can enforce the rules cheaply, it does: one memfd per share
 * call (a mapper can never reach pages granted to somebody else), read-only
 * descriptors for read-only mappings (a write faults), and grant copy done
 * here in the daemon (the copier's own bytes pass through its copy area),
 * so that a copier never receives a descriptor of a granted page.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <xen/grant_table.h>

#include "gnttab/private.h"
#include "sim/simd-int.h"

#define PAGE DUET_PAGE_SIZE

/* ------------------------------------------------------------------ */
/* Tables                                                              */
/* ------------------------------------------------------------------ */

/*
 * simd_gnt_init() - give @dom an empty grant table of d->gnt_frames
 * frames.  Return: 0 or -ENOMEM (nothing allocated).
 */
int simd_gnt_init(struct simd *d, struct simd_dom *dom)
{
	unsigned n = d->gnt_frames * SIMD_GNT_PER_FRAME, i;

	dom->gnt = calloc(n, sizeof(*dom->gnt));
	dom->gfree = calloc(n, sizeof(*dom->gfree));
	if (!dom->gnt || !dom->gfree) {
		free(dom->gnt);
		free(dom->gfree);
		dom->gnt = NULL;
		dom->gfree = NULL;
		return -ENOMEM;
	}
	dom->ngnt = n;
	/* Lowest refs on top of the stack, so allocation is predictable. */
	dom->nfree = 0;
	for (i = n; i-- > SIMD_GNT_RESERVED;)
		dom->gfree[dom->nfree++] = i;
	for (i = 0; i < n; i++)
		dom->gnt[i].fd = -1;
	return 0;
}

/* simd_gnt_in_use() - entries of @dom currently in use. */
unsigned simd_gnt_in_use(const struct simd_dom *dom)
{
	return dom->ngnt - SIMD_GNT_RESERVED - dom->nfree;
}

static uint32_t gnt_alloc(struct simd_dom *dom)
{
	return dom->gfree[--dom->nfree];
}

static void gnt_free(struct simd_dom *dom, uint32_t ref)
{
	struct simd_gnt *g = &dom->gnt[ref];

	if (g->fd >= 0)
		close(g->fd);
	memset(g, 0, sizeof(*g));
	g->fd = -1;
	dom->gfree[dom->nfree++] = ref;
}

/* ------------------------------------------------------------------ */
/* Shares                                                              */
/* ------------------------------------------------------------------ */

/* Free @s: its entries (if its domain still exists), mapping, files. */
static void share_free(struct simd_share *s)
{
	unsigned i;

	if (s->dom) {
		struct simd_share **pp = &s->dom->shares;

		for (i = 0; i < s->count; i++)
			gnt_free(s->dom, s->refs[i]);
		while (*pp && *pp != s)
			pp = &(*pp)->next;
		if (*pp)
			*pp = s->next;
	}
	if (s->addr)
		munmap(s->addr, (size_t)s->count * PAGE);
	if (s->fd >= 0)
		close(s->fd);
	if (s->rofd >= 0)
		close(s->rofd);
	free(s);
}

/* End @s: no new access; freed at once unless somebody maps it. */
static void share_kill(struct simd_share *s)
{
	s->dead = 1;
	s->owner = NULL;
	if (!s->maps)
		share_free(s);
}

/*
 * A memfd that a client hands us must be exactly @bytes long and sealed
 * against growing and shrinking, so that no mapper can be made to fault
 * by a truncate behind its back.
 */
static int check_memfd(int fd, size_t bytes)
{
	struct stat st;
	int seals;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return -EBADF;
	if ((size_t)st.st_size != bytes)
		return -EINVAL;
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || (seals & (F_SEAL_GROW | F_SEAL_SHRINK)) !=
			 (F_SEAL_GROW | F_SEAL_SHRINK))
		return -EINVAL;
	return 0;
}

/*
 * SHARE: domid = grantee, count pages, flags, fd = the pages.  Allocates
 * count entries or none.
 */
void simd_gnt_share(struct simd_conn *c, struct simd_msg *m)
{
	struct simd_dom *dom = c->dom;
	struct simd_share *s;
	unsigned count = m->req.count, i;
	int rc;

	if (!count || count > DUET_SIM_SHARE_MAX || m->len ||
	    (m->req.flags & ~DUET_GNT_READONLY) || m->req.domid > 0xffff) {
		m->rep.rc = -EINVAL;
		return;
	}
	rc = check_memfd(m->fd, (size_t)count * PAGE);
	if (rc < 0) {
		m->rep.rc = rc;
		return;
	}
	if (dom->nfree < count) {
		m->rep.rc = -ENOSPC;
		return;
	}
	s = calloc(1, sizeof(*s) + count * sizeof(s->refs[0]));
	if (!s) {
		m->rep.rc = -ENOMEM;
		return;
	}
	s->addr = mmap(NULL, (size_t)count * PAGE, PROT_READ | PROT_WRITE,
		       MAP_SHARED, m->fd, 0);
	if (s->addr == MAP_FAILED) {
		m->rep.rc = -errno;
		free(s);
		return;
	}
	s->id = simd_new_id(c->d);
	s->dom = dom;
	s->owner = c;
	s->fd = m->fd;
	m->fd = -1;
	s->rofd = -1;
	s->count = count;
	s->flags = m->req.flags;
	s->grantee = (duet_domid_t)m->req.domid;
	for (i = 0; i < count; i++) {
		uint32_t ref = gnt_alloc(dom);
		struct simd_gnt *g = &dom->gnt[ref];

		g->type = SIMD_GNT_SHARE;
		g->domid = s->grantee;
		g->idx = i;
		g->share = s;
		s->refs[i] = ref;
	}
	s->next = dom->shares;
	dom->shares = s;
	memcpy(m->out, s->refs, count * sizeof(uint32_t));
	m->out_len = count * sizeof(uint32_t);
	m->rep.id = s->id;
	m->rep.count = count;
	m->rep.rc = 0;
}

static struct simd_share *share_by_id(struct simd_conn *c, uint64_t id)
{
	struct simd_share *s;

	for (s = c->dom->shares; s; s = s->next)
		if (s->id == id && s->owner == c)
			return s;
	return NULL;
}

/* UNSHARE: id.  -EBUSY while any page is mapped. */
void simd_gnt_unshare(struct simd_conn *c, struct simd_msg *m)
{
	struct simd_share *s = share_by_id(c, m->req.id);

	if (!s || m->len) {
		m->rep.rc = -EINVAL;
		return;
	}
	if (s->maps) {
		m->rep.rc = -EBUSY;
		return;
	}
	share_free(s);
	m->rep.rc = 0;
}

/*
 * check_ref() - may @c's domain access (@domid, @ref), writing when
 * @write?  Return: the share (and the page index in *@idx), or NULL with
 * *@err set to the refusal: the errno of the GNTST_* status Xen's
 * grant_table.c gives for it (one table: duet_gnttab_status_to_errno()):
 * GNTST_bad_domain for no such domain, GNTST_bad_gntref for a ref past the
 * table, GNTST_general_error for an entry not in use, granted to another
 * domain, or read-only when writing (_set_status()).  A connection
 * restricted to another domain gets -EPERM.
 */
static struct simd_share *check_ref(struct simd_conn *c, uint32_t domid,
				    uint32_t ref, int write, unsigned *idx,
				    int *err)
{
	struct simd_dom *g = simd_dom_get(c->d, domid);
	struct simd_gnt *e;

	if (!simd_conn_may(c, domid)) {
		*err = -EPERM;
		return NULL;
	}
	if (!g) {
		*err = duet_gnttab_status_to_errno(GNTST_bad_domain);
		return NULL;
	}
	if (ref >= g->ngnt) {
		*err = duet_gnttab_status_to_errno(GNTST_bad_gntref);
		return NULL;
	}
	e = &g->gnt[ref];
	if (e->type != SIMD_GNT_SHARE || e->share->dead ||
	    e->domid != c->dom->domid ||
	    (write && (e->share->flags & DUET_GNT_READONLY))) {
		*err = duet_gnttab_status_to_errno(GNTST_general_error);
		return NULL;
	}
	*idx = e->idx;
	return e->share;
}

/* A descriptor for @s fit for the access asked, or -errno. */
static int share_fd(struct simd_share *s, int ro)
{
	char path[64];

	if (!ro)
		return s->fd;
	if (s->rofd < 0) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", s->fd);
		s->rofd = open(path, O_RDONLY | O_CLOEXEC);
		if (s->rofd < 0)
			return -errno;
	}
	return s->rofd;
}

/* ------------------------------------------------------------------ */
/* Map, unmap                                                          */
/* ------------------------------------------------------------------ */

/*
 * MAP: domid = granter, count refs, flags.  All refs are checked before
 * anything changes; the reply carries one descriptor per distinct share.
 * Any ref refused answers -EINVAL whatever the reason, as Linux's gntdev
 * does on Xen (gntdev_map_grant_pages() turns every failed GNTST_* of the
 * batch into -EINVAL from mmap()); only a restricted connection's -EPERM
 * and local failures pass through.
 */
void simd_gnt_map(struct simd_conn *c, struct simd_msg *m)
{
	struct duet_sim_map_page *pg = (struct duet_sim_map_page *)m->out;
	const uint32_t *refs = (const uint32_t *)m->data;
	unsigned count = m->req.count, i, j;
	int ro = !!(m->req.flags & DUET_GNT_READONLY), err = 0;
	struct simd_map *map;

	if (!count || count > DUET_SIM_MAP_MAX ||
	    m->len != count * sizeof(uint32_t) ||
	    (m->req.flags & ~DUET_GNT_READONLY)) {
		m->rep.rc = -EINVAL;
		return;
	}
	map = calloc(1, sizeof(*map) + count * sizeof(map->pages[0]));
	if (!map) {
		m->rep.rc = -ENOMEM;
		return;
	}
	for (i = 0; i < count; i++) {
		unsigned idx;
		struct simd_share *s = check_ref(c, m->req.domid, refs[i],
						 !ro, &idx, &err);
		int fd;

		if (!s) {
			if (err != -EPERM)
				err = -EINVAL;
			goto fail;
		}
		fd = share_fd(s, ro);
		if (fd < 0) {
			err = fd;
			goto fail;
		}
		for (j = 0; j < m->nfds && m->fds[j] != fd; j++)
			;
		if (j == m->nfds)
			m->fds[m->nfds++] = fd;
		map->pages[i] = s;
		pg[i].fd_idx = j;
		pg[i].pgoff = idx;
	}
	for (i = 0; i < count; i++)
		map->pages[i]->maps++;
	map->id = simd_new_id(c->d);
	map->count = count;
	map->next = c->maps;
	c->maps = map;
	m->out_len = count * sizeof(*pg);
	m->rep.id = map->id;
	m->rep.count = m->nfds;
	m->rep.rc = 0;
	return;
fail:
	free(map);
	m->nfds = 0;
	m->rep.rc = err;
}

static void map_release(struct simd_map *map)
{
	unsigned i;

	for (i = 0; i < map->count; i++) {
		struct simd_share *s = map->pages[i];

		if (!--s->maps && s->dead)
			share_free(s);
	}
	free(map);
}

/* UNMAP: id. */
void simd_gnt_unmap(struct simd_conn *c, struct simd_msg *m)
{
	struct simd_map **pp = &c->maps, *map;

	while (*pp && (*pp)->id != m->req.id)
		pp = &(*pp)->next;
	map = *pp;
	if (!map || m->len) {
		m->rep.rc = -EINVAL;
		return;
	}
	*pp = map->next;
	map_release(map);
	m->rep.rc = 0;
}

/* ------------------------------------------------------------------ */
/* Copy                                                                */
/* ------------------------------------------------------------------ */

/*
 * copy_side() - where @len bytes at @off of grant (@domid, @ref) are, for
 * writing when @write; NULL with *@err set when the segment may not touch
 * them (GNTST_bad_copy_arg for one crossing the page: -EINVAL).
 */
static uint8_t *copy_side(struct simd_conn *c, uint32_t domid, uint32_t ref,
			  unsigned off, unsigned len, int write, int *err)
{
	struct simd_share *s;
	unsigned idx;

	if (off + len > PAGE) {
		*err = duet_gnttab_status_to_errno(GNTST_bad_copy_arg);
		return NULL;
	}
	s = check_ref(c, domid, ref, write, &idx, err);
	return s ? s->addr + (size_t)idx * PAGE + off : NULL;
}

/* Map a client's sealed memfd @fd of @size bytes (check_memfd()) shared
 * and writable: the copy area and copy buffers.  0 or -errno. */
static int map_client_memfd(int fd, size_t size, void **addr)
{
	int rc = check_memfd(fd, size);
	void *a;

	if (rc < 0)
		return rc;
	a = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (a == MAP_FAILED)
		return -errno;
	*addr = a;
	return 0;
}

/*
 * COPY_AREA: the client's copy area, mapped here for the connection's
 * lifetime (simd_gnt_conn_gone() unmaps it).
 */
void simd_gnt_copy_area(struct simd_conn *c, struct simd_msg *m)
{
	void *a;
	int rc;

	if (m->len) {
		m->rep.rc = -EINVAL;
		return;
	}
	if (c->area) {
		m->rep.rc = -EEXIST;
		return;
	}
	rc = map_client_memfd(m->fd, DUET_SIM_COPY_AREA, &a);
	if (rc < 0) {
		m->rep.rc = rc;
		return;
	}
	c->area = a;
	m->rep.rc = 0;
}

/*
 * COPY_BUF: count pages, fd = a copy buffer, mapped here until
 * COPY_BUF_FREE or the connection's end; rep.id = its slot + 1.
 */
void simd_gnt_copy_buf(struct simd_conn *c, struct simd_msg *m)
{
	size_t size = (size_t)m->req.count * PAGE;
	unsigned i;
	void *a;
	int rc;

	if (m->len || !m->req.count || m->req.count > DUET_SIM_COPY_BUF_PAGES) {
		m->rep.rc = -EINVAL;
		return;
	}
	for (i = 0; i < DUET_SIM_COPY_BUFS && c->buf[i]; i++)
		;
	if (i == DUET_SIM_COPY_BUFS) {
		m->rep.rc = -ENOSPC;
		return;
	}
	rc = map_client_memfd(m->fd, size, &a);
	if (rc < 0) {
		m->rep.rc = rc;
		return;
	}
	c->buf[i] = a;
	c->buf_size[i] = size;
	m->rep.id = i + 1;
	m->rep.rc = 0;
}

/* COPY_BUF_FREE: id. */
void simd_gnt_copy_buf_free(struct simd_conn *c, struct simd_msg *m)
{
	uint64_t id = m->req.id;

	if (m->len || !id || id > DUET_SIM_COPY_BUFS || !c->buf[id - 1]) {
		m->rep.rc = -EINVAL;
		return;
	}
	munmap(c->buf[id - 1], c->buf_size[id - 1]);
	c->buf[id - 1] = NULL;
	c->buf_size[id - 1] = 0;
	m->rep.rc = 0;
}

/*
 * buf_side() - @len bytes at byte @off of copy buffer @id, or NULL (and
 * -EINVAL in *@err) when that is no range of one of @c's buffers.
 */
static uint8_t *buf_side(struct simd_conn *c, uint32_t id, uint32_t off,
			 unsigned len, int *err)
{
	if (!id || id > DUET_SIM_COPY_BUFS || !c->buf[id - 1] ||
	    off > c->buf_size[id - 1] || len > c->buf_size[id - 1] - off) {
		*err = -EINVAL;
		return NULL;
	}
	return c->buf[id - 1] + off;
}

/*
 * COPY: each segment is checked on its own.  Local sources are read from
 * the first half of the client's copy area, local destinations written to
 * its second half, both packed in segment order; the cursors advance by
 * every segment's length whatever its status, so that the client finds
 * its bytes.  The client wrote its sources before sending the request and
 * reads its destinations after our reply: the socket's send and receive
 * order those accesses (no other synchronisation is needed).  A client
 * that scribbles on its area meanwhile only garbles its own data.
 */
void simd_gnt_copy(struct simd_conn *c, struct simd_msg *m)
{
	const struct duet_sim_copy_seg *seg =
		(const struct duet_sim_copy_seg *)m->data;
	unsigned count = m->req.count, i;
	size_t in = 0, out = 0, half = DUET_SIM_COPY_AREA / 2;
	uint8_t *src_data, *dst_data;
	int32_t *status = (int32_t *)m->out;

	if (!c->area || !count || count > DUET_SIM_COPY_MAX ||
	    m->len != count * sizeof(*seg) ||
	    count * sizeof(*status) > m->out_max) {
		m->rep.rc = -EINVAL;
		return;
	}
	for (i = 0; i < count; i++) {
		unsigned f = seg[i].flags;

		if (!(f & (DUET_GNT_COPY_SRC_GREF | DUET_SIM_COPY_SRC_BUF)))
			in += seg[i].len;
		if (!(f & (DUET_GNT_COPY_DST_GREF | DUET_SIM_COPY_DST_BUF)))
			out += seg[i].len;
	}
	if (in > half || out > half) {
		m->rep.rc = -EINVAL;
		return;
	}
	src_data = c->area;
	dst_data = c->area + half;
	for (i = 0; i < count; i++) {
		const struct duet_sim_copy_seg *sg = &seg[i];
		const uint8_t *from = src_data;
		uint8_t *to = dst_data;
		unsigned f = sg->flags;
		int err = 0;

		if (!(f & (DUET_GNT_COPY_SRC_GREF | DUET_SIM_COPY_SRC_BUF)))
			src_data += sg->len;
		if (!(f & (DUET_GNT_COPY_DST_GREF | DUET_SIM_COPY_DST_BUF)))
			dst_data += sg->len;
		if (!(f & (DUET_GNT_COPY_SRC_GREF | DUET_GNT_COPY_DST_GREF)) ||
		    (f & ~(DUET_GNT_COPY_SRC_GREF | DUET_GNT_COPY_DST_GREF |
			   DUET_SIM_COPY_SRC_BUF | DUET_SIM_COPY_DST_BUF)) ||
		    ((f & DUET_GNT_COPY_SRC_GREF) &&
		     (f & DUET_SIM_COPY_SRC_BUF)) ||
		    ((f & DUET_GNT_COPY_DST_GREF) &&
		     (f & DUET_SIM_COPY_DST_BUF)) ||
		    sg->len > PAGE) {
			status[i] = -EINVAL;
			continue;
		}
		if (f & DUET_GNT_COPY_SRC_GREF)
			from = copy_side(c, sg->src_domid, sg->src_ref,
					 sg->src_off, sg->len, 0, &err);
		else if (f & DUET_SIM_COPY_SRC_BUF)
			from = buf_side(c, sg->src_domid, sg->src_ref, sg->len,
					&err);
		if (from && (f & DUET_GNT_COPY_DST_GREF))
			to = copy_side(c, sg->dst_domid, sg->dst_ref,
				       sg->dst_off, sg->len, 1, &err);
		else if (from && (f & DUET_SIM_COPY_DST_BUF))
			to = buf_side(c, sg->dst_domid, sg->dst_ref, sg->len,
				      &err);
		if (!from || !to) {
			status[i] = err;
			continue;
		}
		duet_copy_bytes(to, from, sg->len);
		status[i] = 0;
	}
	m->out_len = count * sizeof(*status);
	m->rep.count = count;
	m->rep.rc = 0;
}

/* ------------------------------------------------------------------ */
/* Transfer                                                            */
/* ------------------------------------------------------------------ */

/* XFER_OFFER: domid = the sender allowed, count accept-transfer entries. */
void simd_gnt_xfer_offer(struct simd_conn *c, struct simd_msg *m)
{
	struct simd_dom *dom = c->dom;
	uint32_t *refs = (uint32_t *)m->out;
	unsigned count = m->req.count, i;

	if (!count || count > DUET_SIM_SHARE_MAX || m->len ||
	    m->req.domid > 0xffff) {
		m->rep.rc = -EINVAL;
		return;
	}
	if (dom->nfree < count) {
		m->rep.rc = -ENOSPC;
		return;
	}
	for (i = 0; i < count; i++) {
		uint32_t ref = gnt_alloc(dom);
		struct simd_gnt *g = &dom->gnt[ref];

		g->type = SIMD_GNT_ACCEPT;
		g->domid = (uint16_t)m->req.domid;
		g->owner = c;
		g->fd = -1;
		refs[i] = ref;
	}
	m->out_len = count * sizeof(uint32_t);
	m->rep.count = count;
	m->rep.rc = 0;
}

/*
 * XFER: domid = receiver, ref = its accept-transfer entry, fd = the page.
 * The daemon only moves the descriptor: the sender unmaps the page, the
 * receiver maps it, no byte is copied.
 */
void simd_gnt_xfer(struct simd_conn *c, struct simd_msg *m)
{
	struct simd_dom *r = simd_dom_get(c->d, m->req.domid);
	struct simd_gnt *g;
	int rc;

	if (m->len) {
		m->rep.rc = -EINVAL;
		return;
	}
	rc = check_memfd(m->fd, PAGE);
	if (rc < 0) {
		m->rep.rc = rc;
		return;
	}
	if (!r) {
		m->rep.rc = -ESRCH;
		return;
	}
	if (m->req.ref >= r->ngnt || r->gnt[m->req.ref].type !=
				     SIMD_GNT_ACCEPT) {
		m->rep.rc = -EINVAL;
		return;
	}
	g = &r->gnt[m->req.ref];
	if (g->domid != c->dom->domid) {
		m->rep.rc = -EACCES;
		return;
	}
	if (g->fd >= 0) {
		m->rep.rc = -EBUSY;
		return;
	}
	g->fd = m->fd;
	m->fd = -1;
	m->rep.rc = 0;
}

/* XFER_ACCEPT: ref; hands over the page and frees the entry. */
void simd_gnt_xfer_accept(struct simd_conn *c, struct simd_msg *m)
{
	struct simd_dom *dom = c->dom;
	struct simd_gnt *g;

	if (m->len || m->req.ref >= dom->ngnt ||
	    dom->gnt[m->req.ref].type != SIMD_GNT_ACCEPT) {
		m->rep.rc = -EINVAL;
		return;
	}
	g = &dom->gnt[m->req.ref];
	if (g->fd < 0) {
		m->rep.rc = -EAGAIN;
		return;
	}
	m->fds[0] = g->fd;
	m->nfds = 1;
	m->close_fds = 1;
	g->fd = -1;
	gnt_free(dom, m->req.ref);
	m->rep.count = 1;
	m->rep.rc = 0;
}

/* ------------------------------------------------------------------ */
/* Connections and domains going away                                  */
/* ------------------------------------------------------------------ */

/*
 * simd_gnt_conn_gone() - @c hung up: drop its mappings, end its shares
 * (revoked now, or once the last mapper unmaps) and its accept-transfer
 * entries.
 */
void simd_gnt_conn_gone(struct simd_conn *c)
{
	struct simd_dom *dom = c->dom;
	struct simd_share *s, *next;
	unsigned i;

	while (c->maps) {
		struct simd_map *map = c->maps;

		c->maps = map->next;
		map_release(map);
	}
	for (i = 0; i < DUET_SIM_COPY_BUFS; i++) {
		if (c->buf[i])
			munmap(c->buf[i], c->buf_size[i]);
		c->buf[i] = NULL;
	}
	if (c->area) {
		munmap(c->area, DUET_SIM_COPY_AREA);
		c->area = NULL;
	}
	for (s = dom->shares; s; s = next) {
		next = s->next;
		if (s->owner == c)
			share_kill(s);
	}
	for (i = 0; i < dom->ngnt; i++)
		if (dom->gnt[i].type == SIMD_GNT_ACCEPT &&
		    dom->gnt[i].owner == c)
			gnt_free(dom, i);
}

/*
 * simd_gnt_dom_gone() - @dom is being destroyed (its connections are
 * already gone): shares still mapped elsewhere stay alive, detached from
 * the table; the table is freed.
 */
void simd_gnt_dom_gone(struct simd_dom *dom)
{
	struct simd_share *s, *next;
	unsigned i;

	for (s = dom->shares; s; s = next) {
		next = s->next;
		s->dom = NULL;
		s->next = NULL;
		s->dead = 1;
		if (!s->maps)
			share_free(s);
	}
	dom->shares = NULL;
	for (i = 0; i < dom->ngnt; i++)
		if (dom->gnt[i].fd >= 0)
			close(dom->gnt[i].fd);
	free(dom->gnt);
	free(dom->gfree);
	dom->gnt = NULL;
	dom->gfree = NULL;
}

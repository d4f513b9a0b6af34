/* SPDX-License-Identifier: MIT */
/*
 * sback.c - the test code declared in sback.h, built once into
 * libduet-test.a.
 */
#include "lib/sback.h"

int sb_fe_state(struct sback *sb)
{
	uint64_t v;

	if (duet_xenbus_read_uint(sb->xs, sb->fe, "state", 0, 8, &v) != 1)
		return -1;
	return (int)v;
}

static void sb_set(struct sback *sb, const char *node, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", sb->be, node);
	duet_xs_write(sb->xs, DUET_XS_NO_TX, path, val);
}

static void sb_setu(struct sback *sb, const char *node, unsigned long long v)
{
	char val[32];

	snprintf(val, sizeof(val), "%llu", v);
	sb_set(sb, node, val);
}

/* Wait up to 10 s until the frontend's state is @a or @b. */
static int sb_wait_fe(struct sback *sb, int a, int b)
{
	int i, s;

	for (i = 0; i < 5000 && !atomic_load(&sb->stop); i++) {
		s = sb_fe_state(sb);
		if (s == a || s == b)
			return s;
		usleep(2000);
	}
	return -1;
}

static void sb_drop_rings(struct sback *sb)
{
	unsigned q;

	for (q = 0; q < sb->nq; q++) {
		duet_ring_detach(sb->ring[q]);
		duet_gnt_unmap(sb->p, sb->sring[q], 1u << sb->order);
		duet_evtchn_unbind(sb->ev, (duet_evtchn_port_t)sb->port[q]);
	}
	sb->nq = 0;
}

/* Publish features, go InitWait, map what the frontend shares, go
 * Connected.  0 or -1. */
static int sb_connect(struct sback *sb)
{
	const struct duet_ring_desc *d = duet_ring_desc_get(DUET_RING_BLKIF);
	uint32_t refs[16];
	char dir[256];
	uint64_t nq, port;
	unsigned q;
	int fp;

	sb_setu(sb, "max-ring-page-order", sb->max_order);
	sb_setu(sb, "multi-queue-max-queues", sb->max_queues);
	sb_setu(sb, "feature-persistent", (unsigned)sb->persistent);
	sb_setu(sb, "feature-max-indirect-segments", sb->max_indirect);
	sb_set(sb, "state", "2");
	if (sb_wait_fe(sb, DUET_XENBUS_INITIALISED, -2) < 0)
		return -1;
	if (duet_xenbus_read_uint(sb->xs, sb->fe, "multi-queue-num-queues", 1,
				  16, &nq) < 0)
		return -1;
	duet_xenbus_read_bool(sb->xs, sb->fe, "feature-persistent", 0, &fp);
	sb->fe_persistent = fp;
	sb->nq = 0;
	for (q = 0; q < nq; q++) {
		duet_xenbus_queue_dir(dir, sizeof(dir), sb->fe, (unsigned)nq, q);
		if (duet_xenbus_read_ring_refs(sb->xs, dir, sb->max_order, refs,
					       &sb->order) < 0)
			return -1;
		if (duet_xenbus_read_uint(sb->xs, dir, "event-channel", 0,
					  1u << 20, &port) != 1)
			return -1;
		if (duet_gnt_map(sb->p, (duet_domid_t)sb->fe_domid,
				 1u << sb->order, refs, 0, &sb->sring[q]) < 0)
			return -1;
		if (duet_ring_attach(d, DUET_RING_BACK, sb->sring[q], sb->order,
				     &sb->ring[q]) < 0)
			return -1;
		sb->port[q] = duet_evtchn_bind(sb->ev,
					       (duet_domid_t)sb->fe_domid,
					       (duet_evtchn_port_t)port);
		if (sb->port[q] < 0)
			return -1;
		sb->nq = q + 1;
	}
	sb_setu(sb, "sectors", sb->size / 512);
	sb_setu(sb, "sector-size", 512);
	sb_setu(sb, "info", 0);
	sb_setu(sb, "feature-flush-cache", 1);
	sb_setu(sb, "feature-discard", 1);
	sb_setu(sb, "discard-granularity", 4096);
	sb_set(sb, "state", "4");
	atomic_fetch_add(&sb->connects, 1);
	return 0;
}

/* Copy between the disk and one granted page (map, copy, unmap). */
static int sb_seg(struct sback *sb, duet_grant_ref_t ref, unsigned first,
		  unsigned last, uint64_t disk_off, int write)
{
	size_t len = (size_t)(last - first + 1) * 512;
	void *page;

	if (first > last || last > 7 || disk_off + len > sb->size)
		return -1;
	if (duet_gnt_map(sb->p, (duet_domid_t)sb->fe_domid, 1, &ref,
			 write ? DUET_GNT_READONLY : 0, &page) < 0)
		return -1;
	if (write)
		memcpy(sb->disk + disk_off, (char *)page + first * 512, len);
	else
		memcpy((char *)page + first * 512, sb->disk + disk_off, len);
	duet_gnt_unmap(sb->p, page, 1);
	return (int)len;
}

/* Serve one request; returns the status. */
static int sb_serve(struct sback *sb, const void *slot, uint8_t *op_out)
{
	struct blkif_request_segment segs[BLKIF_MAX_SEGMENTS_PER_REQUEST +
					  512 * 8];
	const struct blkif_request *rw = slot;
	const struct blkif_request_indirect *ind = slot;
	const struct blkif_request_discard *dis = slot;
	unsigned n = 0, i, op = rw->operation, p;
	uint64_t off;
	int len;

	*op_out = rw->operation;
	if (op < 8)
		sb->ops_seen[op]++;
	switch (op) {
	case BLKIF_OP_FLUSH_DISKCACHE:
		return BLKIF_RSP_OKAY;
	case BLKIF_OP_DISCARD:
		off = dis->sector_number * 512;
		if (off + dis->nr_sectors * 512 > sb->size)
			return BLKIF_RSP_ERROR;
		memset(sb->disk + off, 0, dis->nr_sectors * 512);
		return BLKIF_RSP_OKAY;
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
		n = rw->nr_segments;
		if (n > BLKIF_MAX_SEGMENTS_PER_REQUEST)
			return BLKIF_RSP_ERROR;
		memcpy(segs, rw->seg, n * sizeof(segs[0]));
		off = rw->sector_number * 512;
		break;
	case BLKIF_OP_INDIRECT:
		n = ind->nr_segments;
		*op_out = ind->indirect_op;
		op = ind->indirect_op;
		if (n > sb->max_indirect || n > 512 * 8)
			return BLKIF_RSP_ERROR;
		for (p = 0; p * 512 < n; p++) {
			void *pg;
			unsigned cnt = n - p * 512 > 512 ? 512 : n - p * 512;

			if (duet_gnt_map(sb->p, (duet_domid_t)sb->fe_domid, 1,
					 &ind->indirect_grefs[p],
					 DUET_GNT_READONLY, &pg) < 0)
				return BLKIF_RSP_ERROR;
			memcpy(segs + p * 512, pg, cnt * sizeof(segs[0]));
			duet_gnt_unmap(sb->p, pg, 1);
		}
		off = ind->sector_number * 512;
		break;
	default:
		return BLKIF_RSP_EOPNOTSUPP;
	}
	for (i = 0; i < n; i++) {
		len = sb_seg(sb, segs[i].gref, segs[i].first_sect,
			     segs[i].last_sect, off, op == BLKIF_OP_WRITE);
		if (len < 0)
			return BLKIF_RSP_ERROR;
		off += (uint64_t)len;
	}
	return BLKIF_RSP_OKAY;
}

static void sb_restart(struct sback *sb)
{
	sb_drop_rings(sb);
	sb->max_order = sb->next_order;
	sb->max_queues = sb->next_queues;
	sb->max_indirect = sb->next_indirect;
	sb_set(sb, "state", "5");
	sb_wait_fe(sb, DUET_XENBUS_CLOSED, DUET_XENBUS_INITIALISING);
	sb_set(sb, "state", "6");
	sb_wait_fe(sb, DUET_XENBUS_INITIALISING, -2);
	sb_connect(sb);
}

/* Handle what is on queue @q.  1 when something was done. */
static int sb_pass(struct sback *sb, unsigned q)
{
	union {
		struct blkif_request r;
		uint8_t raw[112];
	} req;
	struct blkif_response rsp;
	volatile uint32_t *hdr;
	int did = 0, h, rc;

	while ((rc = duet_ring_back_get_req(sb->ring[q], &req)) == 1) {
		did = 1;
		atomic_fetch_add(&sb->requests, 1);
		memset(&rsp, 0, sizeof(rsp));
		rsp.id = req.r.id;
		rsp.status = (int16_t)sb_serve(sb, &req, &rsp.operation);
		h = atomic_exchange(&sb->hostile, SB_FAIR);
		switch (h) {
		case SB_BAD_STATUS:
			rsp.status = BLKIF_RSP_ERROR;
			break;
		case SB_ODD_STATUS:
			rsp.status = 77;
			break;
		case SB_EOPNOTSUPP:
			rsp.status = BLKIF_RSP_EOPNOTSUPP;
			break;
		case SB_UNKNOWN_ID:
			rsp.id ^= 0x5a5a000000000000ull;
			break;
		case SB_STALE_ID:
			rsp.id = sb->last_id;
			break;
		case SB_WRONG_OP:
			rsp.operation = BLKIF_OP_DISCARD;
			break;
		case SB_BEYOND:
			/* rsp_prod is the third word of the shared header;
			 * release: nothing else to order, it is a lie. */
			hdr = sb->sring[q];
			__atomic_store_n(&hdr[2], hdr[2] + 5, __ATOMIC_RELEASE);
			duet_evtchn_notify(sb->ev,
					   (duet_evtchn_port_t)sb->port[q]);
			/* No more pushes: one would overwrite the lie. */
			sb->frozen = 1;
			return 1;
		case SB_RESTART:
			sb_restart(sb);
			return 1;
		}
		sb->last_id = req.r.id;
		duet_ring_back_put_rsp(sb->ring[q], &rsp);
	}
	if (duet_ring_back_push(sb->ring[q]) > 0)
		duet_evtchn_notify(sb->ev, (duet_evtchn_port_t)sb->port[q]);
	return did;
}

static void *sb_main(void *arg)
{
	struct sback *sb = arg;
	struct pollfd pfd;
	unsigned q, idle = 0;
	int did, port;

	if (sb_connect(sb) < 0)
		return NULL;
	pfd.fd = duet_evtchn_fd(sb->ev);
	pfd.events = POLLIN;
	while (!atomic_load(&sb->stop)) {
		did = 0;
		for (q = 0; q < sb->nq && !sb->frozen; q++) {
			did |= sb_pass(sb, q);
			if (!sb->nq)
				break;
		}
		if (!did) {
			for (q = 0; q < sb->nq && !sb->frozen; q++)
				did |= duet_ring_back_final_check(sb->ring[q]) !=
				       0;
			if (!did)
				poll(&pfd, 1, 5);
		}
		/* Follow a closing frontend as a backend does. */
		if (!did && ++idle % 8 == 0 &&
		    sb_fe_state(sb) == DUET_XENBUS_CLOSING)
			sb_set(sb, "state", "5");
		while ((port = duet_evtchn_pending(sb->ev)) >= 0)
			duet_evtchn_unmask(sb->ev, (duet_evtchn_port_t)port);
	}
	sb_drop_rings(sb);
	return NULL;
}

unsigned sb_next_devid = 51712;

void sb_start(struct sback *sb, struct duet_platform *p0,
	      unsigned fe_domid, uint64_t size)
{
	struct duet_xs_perm fe_perms[] = { { fe_domid, DUET_XS_PERM_NONE },
					   { 0, DUET_XS_PERM_READ } };
	struct duet_xs_perm be_perms[] = { { 0, DUET_XS_PERM_NONE },
					   { fe_domid, DUET_XS_PERM_READ } };
	unsigned devid = sb_next_devid;
	char path[256];

	sb_next_devid += 16;
	sb->p = p0;
	sb->fe_domid = fe_domid;
	sb->size = size;
	sb->disk = calloc(1, size);
	if (!sb->disk || duet_xs_open(p0, &sb->xs) < 0 ||
	    duet_evtchn_open(p0, &sb->ev) < 0) {
		printf("Bail out! scripted backend setup\n");
		exit(1);
	}
	snprintf(sb->fe, sizeof(sb->fe), "/local/domain/%u/device/vbd/%u",
		 fe_domid, devid);
	snprintf(sb->be, sizeof(sb->be), "/local/domain/0/backend/vbd/%u/%u",
		 fe_domid, devid);
	duet_xs_mkdir(sb->xs, DUET_XS_NO_TX, sb->fe);
	duet_xs_set_perms(sb->xs, DUET_XS_NO_TX, sb->fe, fe_perms, 2);
	duet_xs_mkdir(sb->xs, DUET_XS_NO_TX, sb->be);
	duet_xs_set_perms(sb->xs, DUET_XS_NO_TX, sb->be, be_perms, 2);
	snprintf(path, sizeof(path), "%s/backend", sb->fe);
	duet_xs_write(sb->xs, DUET_XS_NO_TX, path, sb->be);
	snprintf(path, sizeof(path), "%s/backend-id", sb->fe);
	duet_xs_write(sb->xs, DUET_XS_NO_TX, path, "0");
	snprintf(path, sizeof(path), "%s/state", sb->fe);
	duet_xs_write(sb->xs, DUET_XS_NO_TX, path, "1");
	sb_set(sb, "frontend", sb->fe);
	sb_setu(sb, "frontend-id", fe_domid);
	sb_set(sb, "state", "1");
	if (pthread_create(&sb->th, NULL, sb_main, sb)) {
		printf("Bail out! thread\n");
		exit(1);
	}
}

void sb_stop(struct sback *sb)
{
	atomic_store(&sb->stop, 1);
	pthread_join(sb->th, NULL);
	duet_evtchn_close(sb->ev);
	duet_xs_close(sb->xs);
	free(sb->disk);
}

void sb_defaults(struct sback *sb)
{
	memset(sb, 0, sizeof(*sb));
	sb->max_order = 4;
	sb->max_queues = 4;
	sb->max_indirect = 256;
	sb->persistent = 1;
}

/* SPDX-License-Identifier: MIT */
/*
 * hostile.c - a hostile frontend against blkback.  Each malformed request
 * (too many segments, direct or indirect; first_sect > last_sect;
 * last_sect > 7; a sector range past the end; an unused grant ref; a ref
 * granted to another domain; an indirect page full of garbage; a bad
 * opcode) fails with BLKIF_RSP_ERROR while the device keeps working; a
 * reused in-flight id, a producer index that jumps and an unknown ABI
 * in "protocol" close that device.  After each case a second disk still reads and
 * writes correctly and the process is still here.
 */
#include "lib/tbsetup.h"

#define DISK (4u << 20)

static struct tb_disk other;
static const char *other_path;
static unsigned other_round;

/* The bystander disk still works. */
static int other_ok(void)
{
	static char w[8192], r[8192];
	uint64_t sector = 8 + (other_round++ % 100) * 16;

	int wrc, rrc;

	tb_fill(w, sizeof(w), other_round);
	wrc = tf_rw(&other.f, 0, 1, sector, w, 16);
	rrc = tf_rw(&other.f, 0, 0, sector, r, 16);
	if (wrc || rrc)
		diag("bystander: write %d, read %d", wrc, rrc);
	return !wrc && !rrc && !memcmp(w, r, sizeof(w)) &&
	       tb_file_equals(other_path, sector * 512, w, sizeof(w));
}

/* Send @req on queue 0 and return the status of its response. */
static int answer(struct tb_disk *d, const void *req)
{
	struct blkif_response rsp;
	uint64_t id;

	memcpy(&id, (const char *)req + 8, sizeof(id));
	if (tf_put_raw(&d->f, 0, req))
		return -1000;
	if (tf_get_rsp(&d->f, 0, &rsp, 5000) != 1)
		return -1001;
	if (rsp.id != id)
		return -1002;
	return rsp.status;
}

static void base_req(struct tb_disk *d, struct blkif_request *r, uint8_t op,
		     unsigned nseg)
{
	struct tf_queue *q = d->f.q[0];
	unsigned i;

	memset(r, 0, sizeof(*r));
	r->operation = op;
	r->nr_segments = (uint8_t)nseg;
	r->id = 77;
	r->sector_number = 16;
	for (i = 0; i < nseg && i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++) {
		r->seg[i].gref = q->pool_refs[i];
		r->seg[i].first_sect = 0;
		r->seg[i].last_sect = 7;
	}
}

static void failing_requests(struct tb_disk *d, int persistent,
			     duet_grant_ref_t foreign)
{
	struct blkif_request r;
	union {
		struct blkif_request r; /* a whole ring slot */
		struct blkif_request_indirect i;
	} iu;
	struct blkif_request_segment *segs;
	struct tf_queue *q = d->f.q[0];
	const char *m = persistent ? "persistent" : "copy";

	base_req(d, &r, BLKIF_OP_READ, 2);
	is_int(answer(d, &r), BLKIF_RSP_OKAY, "%s: a good read is OKAY", m);
	base_req(d, &r, BLKIF_OP_READ, 0);
	r.nr_segments = 12;
	is_int(answer(d, &r), BLKIF_RSP_ERROR, "%s: 12 direct segments: "
	       "ERROR", m);
	base_req(d, &r, BLKIF_OP_WRITE, 0);
	is_int(answer(d, &r), BLKIF_RSP_ERROR, "%s: a write of 0 segments: "
	       "ERROR", m);
	base_req(d, &r, BLKIF_OP_READ, 2);
	r.seg[1].first_sect = 5;
	r.seg[1].last_sect = 4;
	is_int(answer(d, &r), BLKIF_RSP_ERROR, "%s: first_sect > last_sect: "
	       "ERROR", m);
	base_req(d, &r, BLKIF_OP_WRITE, 1);
	r.seg[0].last_sect = 8;
	is_int(answer(d, &r), BLKIF_RSP_ERROR, "%s: last_sect 8: ERROR", m);
	base_req(d, &r, BLKIF_OP_READ, 2);
	r.sector_number = DISK / 512 - 8;
	is_int(answer(d, &r), BLKIF_RSP_ERROR, "%s: a range past the end: "
	       "ERROR", m);
	base_req(d, &r, BLKIF_OP_READ, 1);
	r.sector_number = UINT64_MAX - 3;
	is_int(answer(d, &r), BLKIF_RSP_ERROR, "%s: a sector that wraps: "
	       "ERROR", m);
	base_req(d, &r, BLKIF_OP_READ, 2);
	r.seg[1].gref = 60000;
	is_int(answer(d, &r), BLKIF_RSP_ERROR, "%s: read into an unused grant "
	       "ref: ERROR", m);
	base_req(d, &r, BLKIF_OP_WRITE, 2);
	r.seg[0].gref = 60001;
	is_int(answer(d, &r), BLKIF_RSP_ERROR, "%s: write from an unused "
	       "grant ref: ERROR", m);
	base_req(d, &r, BLKIF_OP_WRITE, 1);
	r.seg[0].gref = foreign;
	is_int(answer(d, &r), BLKIF_RSP_ERROR, "%s: a ref granted to another "
	       "domain: ERROR", m);
	base_req(d, &r, 4, 1);
	is_int(answer(d, &r), BLKIF_RSP_ERROR, "%s: reserved opcode 4: "
	       "ERROR", m);
	base_req(d, &r, 200, 1);
	is_int(answer(d, &r), BLKIF_RSP_ERROR, "%s: opcode 200: ERROR", m);

	/* Indirect: too many segments, garbage in the page, bad page ref. */
	memset(&iu, 0, sizeof(iu));
	iu.i.operation = BLKIF_OP_INDIRECT;
	iu.i.indirect_op = BLKIF_OP_READ;
	iu.i.nr_segments = 257;
	iu.i.id = 78;
	iu.i.sector_number = 0;
	iu.i.indirect_grefs[0] = q->pool_refs[100];
	is_int(answer(d, &iu), BLKIF_RSP_ERROR, "%s: 257 indirect segments: "
	       "ERROR", m);
	iu.i.nr_segments = 0;
	is_int(answer(d, &iu), BLKIF_RSP_ERROR, "%s: 0 indirect segments: "
	       "ERROR", m);
	iu.i.nr_segments = 64;
	tb_fill(tf_page(q, 100), 4096, 99);
	is_int(answer(d, &iu), BLKIF_RSP_ERROR, "%s: an indirect page of "
	       "garbage: ERROR", m);
	segs = (struct blkif_request_segment *)tf_page(q, 100);
	memset(segs, 0, 4096);
	{
		unsigned i;

		for (i = 0; i < 64; i++) {
			segs[i].gref = q->pool_refs[200 + i];
			segs[i].last_sect = 7;
		}
	}
	is_int(answer(d, &iu), BLKIF_RSP_OKAY, "%s: the same page with good "
	       "segments: OKAY", m);
	segs[63].gref = 61000;
	is_int(answer(d, &iu), BLKIF_RSP_ERROR, "%s: one bad ref among 64 "
	       "indirect segments: ERROR", m);
	iu.i.indirect_grefs[0] = 62000;
	is_int(answer(d, &iu), BLKIF_RSP_ERROR, "%s: an unused indirect page "
	       "ref: ERROR", m);
	iu.i.indirect_op = BLKIF_OP_DISCARD;
	iu.i.indirect_grefs[0] = q->pool_refs[100];
	is_int(answer(d, &iu), BLKIF_RSP_ERROR, "%s: indirect discard: "
	       "ERROR", m);
	base_req(d, &r, BLKIF_OP_READ, 2);
	is_int(answer(d, &r), BLKIF_RSP_OKAY, "%s: the device still reads",
	       m);
	ok(other_ok(), "%s: the other disk still works", m);
}

/* A case that must close the device: run @inject, wait for Closing. */
static void closing_case(const char *vdev, const char *what,
			 void (*inject)(struct tb_disk *),
			 const struct tf_opts *o)
{
	struct tb_disk d;
	char name[32];
	const char *path;

	snprintf(name, sizeof(name), "close-%s", vdev);
	path = tb_file(name, DISK);
	if (!ok(!tb_disk_up(&d, vdev, path, NULL, o) || o->protocol,
		"%s: device up", what))
		return;
	inject(&d);
	ok(tf_drive(&d.f, 1, 5000, tf_backend_closed),
	   "%s: the backend closes the device", what);
	ok(other_ok(), "%s: the other disk still works", what);
	tb_disk_down(&d);
}

static void reuse_id(struct tb_disk *d)
{
	struct blkif_request r;

	base_req(d, &r, BLKIF_OP_READ, 8);
	r.id = 5;
	duet_ring_front_put_req(d->f.q[0]->ring, &r);
	duet_ring_front_put_req(d->f.q[0]->ring, &r);
	duet_ring_front_push(d->f.q[0]->ring);
	duet_evtchn_notify(d->f.q[0]->ev, (duet_evtchn_port_t)d->f.q[0]->port);
}

static void jump_prod(struct tb_disk *d)
{
	volatile uint32_t *hdr = d->f.q[0]->sring;

	hdr[0] += 1000;
	duet_evtchn_notify(d->f.q[0]->ev, (duet_evtchn_port_t)d->f.q[0]->port);
}

static void nothing(struct tb_disk *d)
{
}

int main(void)
{
	struct tf_opts o = { .order = 0, .nqueues = 1, .indirect = 1 };
	struct tf_opts bogus = { .order = 0, .nqueues = 1,
				 .protocol = "pdp11-abi" };
	struct duet_platform *p2;
	duet_grant_ref_t foreign;
	struct tb_disk d;
	unsigned third;
	void *fpage;
	int persistent;

	tb_init();
	other_path = tb_file("other", DISK);
	if (!ok(!tb_disk_up(&other, "xvdz", other_path, NULL, &o),
		"the bystander disk is up"))
		return done_testing();
	/* A page the guest grants to a third domain, not to us. */
	third = simtest_domain("third");
	p2 = simtest_open(tb_guest); /* another handle of the guest */
	if (duet_gnt_share(p2, (duet_domid_t)third, 1, 0, &foreign, &fpage))
		foreign = 0;
	ok(other_ok(), "the bystander disk works");

	for (persistent = 0; persistent <= 1; persistent++) {
		o.persistent = persistent;
		if (!ok(!tb_disk_up(&d, persistent ? "xvdb" : "xvda",
				    tb_file(persistent ? "p" : "c", DISK),
				    NULL, &o),
			"victim disk up (persistent=%d)", persistent))
			continue;
		failing_requests(&d, persistent, foreign);
		ok(!tf_backend_closed(&d.f), "the victim was not closed");
		tb_disk_down(&d);
	}
	closing_case("xvdc", "an id reused while in flight", reuse_id, &o);
	closing_case("xvdd", "a producer index 1000 ahead", jump_prod, &o);
	closing_case("xvde", "an unknown frontend ABI", nothing, &bogus);
	tb_disk_down(&other);
	duet_platform_close(p2);
	tb_cleanup();
	return done_testing();
}

/* SPDX-License-Identifier: MIT */
/*
 * swiotlb.c - bounce buffers: pools of 2 KiB slots in segments of 128,
 * areas with their own lock and next-fit rotor, the alignment and
 * boundary rules, several pools with growth and shrinking, and the
 * "swiotlb" backend.
 *
 * Every pool is machine-contiguous (duet_dma_domain_alloc_contig(), the
 * simulator's xen_create_contiguous_region()), so one bus address range
 * covers it: bus = pool->start + (slot << 11) + offset.
 *
 * Slot search (our statement of the rules of Linux >= 6.9, which the unit
 * tests check address by address):
 *   offset   = orig & min_align_mask & (alloc_align_mask | 2047)
 *   pad      = offset >> 11 slots before the mapping, offset &= 2047
 *   nslots   = DIV_ROUND_UP(size + pad * 2048 + offset, 2048)
 *   align    = alloc_align_mask, or 4095 when it and min_align_mask are
 *              0 and size >= 4096 (big streaming buffers page aligned);
 *              align |= 2047
 *   match    = min_align_mask & ~align
 * A run of nslots starting at slot s fits when s's bus address has no
 * bit of align set, agrees with orig on the bits of match, is free for
 * nslots within its 128-slot segment, and does not cross the device's
 * segment boundary.  The mapping is at slot s + pad, offset bytes in, so
 * the bus address keeps orig's bits of min_align_mask.  Each area is
 * searched from its rotor (the slot after its last allocation), wrapping
 * once; a thread starts in its own area and then tries the others.
 * The largest mapping is 128 * 2048 - roundup(min_align_mask, 2048).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "swiotlb/dma-int.h"

#define SLOT_SHIFT DUET_SWIOTLB_SLOT_SHIFT
#define SLOT_SIZE DUET_SWIOTLB_SLOT_SIZE
#define SEGSIZE DUET_SWIOTLB_SEGSIZE
#define MAX_POOLS 64u

/*
 * One slot.  @orig/@size/@head/@offset/@dir are written on every slot of
 * a mapping (the original address and size recorded per slot), @nslots
 * and @pad on its head slot (the run starts @pad slots before it).
 */
struct slot {
	unsigned char *orig;  /* original buffer; NULL when free */
	size_t size;          /* mapping size */
	uint32_t head;        /* slot the mapping starts in */
	uint32_t list;        /* free slots from here to segment end */
	uint16_t offset;      /* bytes into the head slot */
	uint16_t pad;         /* pad slots before head (head only) */
	uint16_t nslots;      /* slots of the run (head only) */
	uint8_t dir;
};

struct area {
	pthread_mutex_t lock;  /* index, used, slots of this area */
	unsigned index;        /* next-fit rotor, relative to the area */
	unsigned used;
};

struct pool {
	uint64_t start;        /* bus address of slot 0 */
	unsigned char *cpu;    /* CPU address of slot 0 */
	unsigned nslots, nareas, area_nslots, npages;
	int transient;
	uint64_t idle_since;   /* first seen unused (ns; 0: in use); under
				* pools_lock held for writing */
	struct area *areas;
	struct slot *slots;
	struct pool *next;     /* transient list */
};

struct duet_swiotlb {
	struct duet_dma_domain *dom;
	struct duet_swiotlb_cfg cfg;
	/*
	 * pools_lock: readers search and unmap, writers add a pool, remove
	 * a transient pool, or shrink.  It is what RCU is for Linux.
	 */
	pthread_rwlock_t pools_lock;
	struct pool *pools[MAX_POOLS];
	unsigned npools;
	struct pool *transients;
	pthread_mutex_t grow_lock;   /* worker, worker_state, ntransient */
	pthread_t worker;
	int worker_state;            /* 0 idle, 1 running, 2 to join */
	unsigned grown;              /* pools added; under pools_lock */
	unsigned ntransient;
	struct duet_log_limit rl;
	uint64_t idle_ns;            /* cfg.idle_ms */
	_Atomic uint64_t next_check; /* when idle_shrink() looks next (ns) */
};

/* ------------------------------------------------------------------ */
/* Pools                                                               */
/* ------------------------------------------------------------------ */

static void pool_free(struct duet_swiotlb *t, struct pool *p)
{
	unsigned i;

	if (!p)
		return;
	for (i = 0; i < p->nareas; i++)
		pthread_mutex_destroy(&p->areas[i].lock);
	duet_dma_domain_free(t->dom, p->cpu, p->npages);
	free(p->areas);
	free(p->slots);
	free(p);
}

/* A pool of @nslots (a multiple of 128 * @nareas, or any count for a
 * transient one-area pool).  It is zeroed: stale data never leaks. */
static int pool_new(struct duet_swiotlb *t, unsigned nslots, unsigned nareas,
		    int transient, struct pool **out)
{
	struct pool *p = calloc(1, sizeof(*p));
	uint64_t maddr;
	unsigned i;
	void *cpu;
	int rc;

	if (!p)
		return -ENOMEM;
	p->nslots = nslots;
	p->nareas = nareas;
	p->area_nslots = nslots / nareas;
	p->transient = transient;
	p->npages = (unsigned)(((size_t)nslots * SLOT_SIZE + FRAME_SIZE - 1) /
			       FRAME_SIZE);
	p->areas = calloc(nareas, sizeof(*p->areas));
	p->slots = calloc(nslots, sizeof(*p->slots));
	if (!p->areas || !p->slots) {
		free(p->areas);
		free(p->slots);
		free(p);
		return -ENOMEM;
	}
	rc = duet_dma_domain_alloc_contig(t->dom, p->npages, t->cfg.dma_bits,
					  &cpu);
	if (rc < 0) {
		free(p->areas);
		free(p->slots);
		free(p);
		return rc;
	}
	p->cpu = cpu;
	rc = duet_dma_virt_to_maddr(t->dom->mem, cpu, &maddr, NULL, NULL);
	if (rc < 0) {
		duet_dma_domain_free(t->dom, cpu, p->npages);
		free(p->areas);
		free(p->slots);
		free(p);
		return rc;
	}
	p->start = maddr;
	for (i = 0; i < nareas; i++)
		pthread_mutex_init(&p->areas[i].lock, NULL);
	for (i = 0; i < nslots; i++) {
		unsigned seg_end = (i / SEGSIZE + 1) * SEGSIZE;

		if (seg_end > nslots)
			seg_end = nslots;
		p->slots[i].list = seg_end - i;
	}
	*out = p;
	return 0;
}

int duet_swiotlb_setup(struct duet_dma_domain *d,
		       const struct duet_swiotlb_cfg *cfg)
{
	struct duet_swiotlb *t;
	unsigned unit;
	int rc;

	if (!d)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	if (cfg)
		t->cfg = *cfg;
	if (!t->cfg.areas)
		t->cfg.areas = 2;
	if (t->cfg.areas & (t->cfg.areas - 1)) {
		free(t);
		return -EINVAL;
	}
	if (!t->cfg.slots)
		t->cfg.slots = 512;
	unit = SEGSIZE * t->cfg.areas;
	t->cfg.slots = (t->cfg.slots + unit - 1) / unit * unit;
	if (!t->cfg.dma_bits)
		t->cfg.dma_bits = 32;
	if (!t->cfg.max_pools)
		t->cfg.max_pools = 8;
	if (t->cfg.max_pools > MAX_POOLS)
		t->cfg.max_pools = MAX_POOLS;
	if (!t->cfg.idle_ms)
		t->cfg.idle_ms = 10000;
	t->idle_ns = (uint64_t)t->cfg.idle_ms * 1000000u;
	t->dom = d;
	pthread_rwlock_init(&t->pools_lock, NULL);
	pthread_mutex_init(&t->grow_lock, NULL);
	rc = pool_new(t, t->cfg.slots, t->cfg.areas, 0, &t->pools[0]);
	if (rc < 0)
		goto err;
	t->npools = 1;
	pthread_mutex_lock(&d->tlb_lock);
	if (d->tlb) {
		pthread_mutex_unlock(&d->tlb_lock);
		rc = -EEXIST;
		goto err;
	}
	d->tlb = t;
	pthread_mutex_unlock(&d->tlb_lock);
	return 0;
err:
	pool_free(t, t->pools[0]);
	pthread_rwlock_destroy(&t->pools_lock);
	pthread_mutex_destroy(&t->grow_lock);
	free(t);
	return rc;
}

int dma_swiotlb_get(struct duet_dma_domain *d, struct duet_swiotlb **out)
{
	int rc;

	pthread_mutex_lock(&d->tlb_lock);
	*out = d->tlb;
	pthread_mutex_unlock(&d->tlb_lock);
	if (*out)
		return 0;
	rc = duet_swiotlb_setup(d, NULL);
	if (rc < 0 && rc != -EEXIST)
		return rc;
	pthread_mutex_lock(&d->tlb_lock);
	*out = d->tlb;
	pthread_mutex_unlock(&d->tlb_lock);
	return 0;
}

static void join_worker(struct duet_swiotlb *t)
{
	pthread_t w;
	int state;

	pthread_mutex_lock(&t->grow_lock);
	state = t->worker_state;
	w = t->worker;
	pthread_mutex_unlock(&t->grow_lock);
	if (state == 0)
		return;
	pthread_join(w, NULL);
	pthread_mutex_lock(&t->grow_lock);
	t->worker_state = 0;
	pthread_mutex_unlock(&t->grow_lock);
}

void dma_swiotlb_destroy(struct duet_swiotlb *t)
{
	struct pool *p, *n;
	unsigned i;

	if (!t)
		return;
	join_worker(t);
	for (i = 0; i < t->npools; i++)
		pool_free(t, t->pools[i]);
	for (p = t->transients; p; p = n) {
		n = p->next;
		pool_free(t, p);
	}
	pthread_rwlock_destroy(&t->pools_lock);
	pthread_mutex_destroy(&t->grow_lock);
	free(t);
}

/* The growth worker: Linux adds a pool from a work item because a map may
 * run in atomic context; here it keeps the mapping thread from waiting on
 * the allocation. */
static void *grow_worker(void *arg)
{
	struct duet_swiotlb *t = arg;
	struct pool *p;

	if (pool_new(t, t->cfg.slots, t->cfg.areas, 0, &p) == 0) {
		pthread_rwlock_wrlock(&t->pools_lock);
		if (t->npools < t->cfg.max_pools) {
			t->pools[t->npools++] = p;
			t->grown++;
			p = NULL;
		}
		pthread_rwlock_unlock(&t->pools_lock);
		pool_free(t, p);
	}
	pthread_mutex_lock(&t->grow_lock);
	t->worker_state = 2;
	pthread_mutex_unlock(&t->grow_lock);
	return NULL;
}

/* Start the worker unless one is running.  Caller holds no lock. */
static void start_growth(struct duet_swiotlb *t)
{
	pthread_mutex_lock(&t->grow_lock);
	if (t->worker_state == 2) {
		pthread_join(t->worker, NULL);
		t->worker_state = 0;
	}
	if (t->worker_state == 0 &&
	    pthread_create(&t->worker, NULL, grow_worker, t) == 0)
		t->worker_state = 1;
	pthread_mutex_unlock(&t->grow_lock);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Free the added pools (never the first) that have had no slot in use for
 * @min_idle_ns or more at @now (0: that have none in use now); a pool seen
 * unused for the first time starts its idle time at @now.  Returns how
 * many were freed.
 */
static unsigned reap_pools(struct duet_swiotlb *t, uint64_t now,
			   uint64_t min_idle_ns)
{
	struct pool *dead[MAX_POOLS];
	unsigned i, j, k, n = 0;

	pthread_rwlock_wrlock(&t->pools_lock);
	for (i = 1, j = 1; i < t->npools; i++) {
		struct pool *p = t->pools[i];
		unsigned used = 0;

		/* The write lock keeps every mapper out: used is stable. */
		for (k = 0; k < p->nareas; k++)
			used += p->areas[k].used;
		if (used)
			p->idle_since = 0;
		else if (!p->idle_since)
			p->idle_since = now;
		if (!used && now - p->idle_since >= min_idle_ns)
			dead[n++] = p;
		else
			t->pools[j++] = p;
	}
	t->npools = j;
	pthread_rwlock_unlock(&t->pools_lock);
	for (i = 0; i < n; i++)
		pool_free(t, dead[i]);
	return n;
}

int duet_swiotlb_shrink(struct duet_dma_domain *d)
{
	struct duet_swiotlb *t;

	if (!d)
		return -EINVAL;
	pthread_mutex_lock(&d->tlb_lock);
	t = d->tlb;
	pthread_mutex_unlock(&d->tlb_lock);
	if (!t)
		return 0;
	return (int)reap_pools(t, now_ns(), 0);
}

/*
 * Pools shrink back when idle: at most every idle_ms / 2, one caller of
 * map or unmap looks at the added pools (never the first) and frees those
 * that were unused when it last looked, idle_ms or more ago, and are still
 * unused.  So a pool goes back 1 to 1.5 idle_ms after its last slot was
 * freed, provided the domain still maps or unmaps now and then.
 */
static void idle_shrink(struct duet_swiotlb *t)
{
	uint64_t now = now_ns(), next;

	/* Relaxed: the word only picks which caller looks; the pools it
	 * looks at are guarded by pools_lock. */
	next = atomic_load_explicit(&t->next_check, memory_order_relaxed);
	if (now < next ||
	    !atomic_compare_exchange_strong_explicit(&t->next_check, &next,
						     now + t->idle_ns / 2,
						     memory_order_relaxed,
						     memory_order_relaxed))
		return;
	reap_pools(t, now, t->idle_ns);
}

/* ------------------------------------------------------------------ */
/* Slot search                                                         */
/* ------------------------------------------------------------------ */

struct req {
	uintptr_t orig;
	unsigned nslots;
	uint64_t align;
	uint64_t match;
	uint64_t boundary;
};

static uint64_t slot_addr(const struct pool *p, unsigned i)
{
	return p->start + ((uint64_t)i << SLOT_SHIFT);
}

static int fits(const struct pool *p, unsigned i, const struct req *rq)
{
	uint64_t a = slot_addr(p, i);
	uint64_t end = a + ((uint64_t)rq->nslots << SLOT_SHIFT) - 1;

	if (a & rq->align)
		return 0;
	if ((a & rq->match) != (rq->orig & rq->match))
		return 0;
	if ((a & ~rq->boundary) != (end & ~rq->boundary))
		return 0;
	return p->slots[i].list >= rq->nslots;
}

/* Search area @ai of @p; on success the run is taken and its first slot
 * returned.  -ENOSPC when nothing fits. */
static int area_find(struct pool *p, unsigned ai, const struct req *rq)
{
	struct area *a = &p->areas[ai];
	unsigned base = ai * p->area_nslots, k, i, j, count;

	if (rq->nslots > p->area_nslots)
		return -ENOSPC;
	pthread_mutex_lock(&a->lock);
	if (rq->nslots > p->area_nslots - a->used)
		goto full;
	for (k = 0; k < p->area_nslots; k++) {
		i = base + (a->index + k) % p->area_nslots;
		if (i + rq->nslots > base + p->area_nslots)
			continue;
		if (fits(p, i, rq))
			goto found;
	}
full:
	pthread_mutex_unlock(&a->lock);
	return -ENOSPC;
found:
	for (j = i; j < i + rq->nslots; j++)
		p->slots[j].list = 0;
	/* Free slots before the run in its segment now end at the run. */
	count = 0;
	for (j = i; j-- > 0 && (j + 1) % SEGSIZE && p->slots[j].list;)
		p->slots[j].list = ++count;
	a->index = (i - base + rq->nslots) % p->area_nslots;
	a->used += rq->nslots;
	pthread_mutex_unlock(&a->lock);
	return (int)i;
}

static void area_release(struct pool *p, unsigned start, unsigned nslots)
{
	unsigned ai = start / p->area_nslots, end = start + nslots, j, count;
	struct area *a = &p->areas[ai];

	pthread_mutex_lock(&a->lock);
	count = (end % SEGSIZE && end < p->nslots) ? p->slots[end].list : 0;
	for (j = end; j-- > start;) {
		memset(&p->slots[j], 0, sizeof(p->slots[j]));
		p->slots[j].list = ++count;
	}
	for (j = start; j-- > 0 && (j + 1) % SEGSIZE && p->slots[j].list;)
		p->slots[j].list = ++count;
	a->used -= nslots;
	pthread_mutex_unlock(&a->lock);
}

/* The area a thread starts in: threads are numbered on first use. */
static unsigned thread_area(unsigned nareas)
{
	static unsigned next;
	static __thread unsigned mine;

	/* Relaxed: the counter hands out distinct numbers, orders nothing. */
	if (!mine)
		mine = __atomic_add_fetch(&next, 1, __ATOMIC_RELAXED);
	return mine & (nareas - 1);
}

static int pool_find(struct pool *p, const struct req *rq)
{
	unsigned start = thread_area(p->nareas), k;
	int i;

	for (k = 0; k < p->nareas; k++) {
		i = area_find(p, (start + k) & (p->nareas - 1), rq);
		if (i >= 0)
			return i;
	}
	return -ENOSPC;
}

/* ------------------------------------------------------------------ */
/* Map, unmap, sync                                                    */
/* ------------------------------------------------------------------ */

size_t dma_swiotlb_max_mapping(const struct duet_dma_dev_cfg *c)
{
	uint64_t r = ((uint64_t)c->min_align_mask + SLOT_SIZE - 1) &
		     ~(uint64_t)(SLOT_SIZE - 1);

	return (size_t)SEGSIZE * SLOT_SIZE - (size_t)r;
}

/* The pool holding bus address @addr.  Caller holds pools_lock. */
static struct pool *find_pool(struct duet_swiotlb *t, duet_dma_addr_t addr)
{
	struct pool *p;
	unsigned i;

	for (i = 0; i < t->npools; i++) {
		p = t->pools[i];
		if (addr >= p->start &&
		    addr < p->start + ((uint64_t)p->nslots << SLOT_SHIFT))
			return p;
	}
	for (p = t->transients; p; p = p->next)
		if (addr >= p->start &&
		    addr < p->start + ((uint64_t)p->nslots << SLOT_SHIFT))
			return p;
	return NULL;
}

void *dma_swiotlb_bounce_cpu(struct duet_swiotlb *t, duet_dma_addr_t addr)
{
	struct pool *p;
	void *cpu = NULL;

	pthread_rwlock_rdlock(&t->pools_lock);
	p = find_pool(t, addr);
	if (p)
		cpu = p->cpu + (addr - p->start);
	pthread_rwlock_unlock(&t->pools_lock);
	return cpu;
}

int dma_swiotlb_owns(struct duet_swiotlb *t, duet_dma_addr_t addr)
{
	int r;

	pthread_rwlock_rdlock(&t->pools_lock);
	r = find_pool(t, addr) != NULL;
	pthread_rwlock_unlock(&t->pools_lock);
	return r;
}

static void fill(struct pool *p, unsigned run, unsigned pad, unsigned offset,
		 unsigned char *orig, size_t size, enum duet_dma_dir dir,
		 const struct req *rq)
{
	unsigned j, head = run + pad;

	for (j = head; j < run + rq->nslots; j++) {
		p->slots[j].orig = orig;
		p->slots[j].size = size;
		p->slots[j].head = head;
		p->slots[j].offset = (uint16_t)offset;
		p->slots[j].dir = (uint8_t)dir;
	}
	p->slots[head].pad = (uint16_t)pad;
	p->slots[head].nslots = (uint16_t)rq->nslots;
}

int dma_swiotlb_map(struct duet_swiotlb *t, const struct duet_dma_dev_cfg *c,
		    void *orig, size_t size, enum duet_dma_dir dir,
		    unsigned attrs, uint64_t alloc_align_mask,
		    duet_dma_addr_t *out)
{
	uintptr_t o = (uintptr_t)orig;
	struct pool *p = NULL, *tp;
	uint64_t off_full, bus;
	unsigned pad, offset, k;
	struct req rq;
	int i = -ENOSPC, rc;

	if (size > dma_swiotlb_max_mapping(c))
		return -E2BIG;
	idle_shrink(t);
	off_full = o & c->min_align_mask & (alloc_align_mask | (SLOT_SIZE - 1));
	pad = (unsigned)(off_full >> SLOT_SHIFT);
	offset = (unsigned)(off_full & (SLOT_SIZE - 1));
	rq.orig = o;
	rq.nslots = (unsigned)((size + off_full + SLOT_SIZE - 1) >> SLOT_SHIFT);
	rq.align = alloc_align_mask;
	if (!alloc_align_mask && !c->min_align_mask && size >= FRAME_SIZE)
		rq.align = FRAME_SIZE - 1;
	rq.align |= SLOT_SIZE - 1;
	rq.match = c->min_align_mask & ~rq.align;
	rq.boundary = c->seg_boundary ? c->seg_boundary : ~0ull;
	if (rq.nslots > SEGSIZE)
		return -E2BIG;

	pthread_rwlock_rdlock(&t->pools_lock);
	for (k = 0; k < t->npools; k++) {
		p = t->pools[k];
		i = pool_find(p, &rq);
		if (i >= 0)
			break;
	}
	if (i >= 0) {
		fill(p, (unsigned)i, pad, offset, orig, size, dir, &rq);
		pthread_rwlock_unlock(&t->pools_lock);
		goto bounce;
	}
	k = t->npools;
	pthread_rwlock_unlock(&t->pools_lock);

	/*
	 * Nothing fits.  If the domain may still grow, a transient pool
	 * sized for this request (plus one segment of slack for the
	 * alignment rules) serves it while the worker adds a full pool.
	 */
	if (k >= t->cfg.max_pools) {
		uint64_t used = 0, total = 0;
		struct duet_dma_stats st;

		memset(&st, 0, sizeof(st));
		dma_swiotlb_stats(t, &st);
		used = st.bounce_used;
		total = st.bounce_total;
		if (duet_ratelimit_ok(&t->rl))
			duet_log(DUET_LOG_WARN,
				 "swiotlb buffer is full (sz: %zu bytes), total %llu (slots), used %llu (slots)",
				 size, (unsigned long long)total,
				 (unsigned long long)used);
		return -ENOSPC;
	}
	start_growth(t);
	rc = pool_new(t, rq.nslots + SEGSIZE > SEGSIZE * 2 ? SEGSIZE * 2 :
		      rq.nslots + SEGSIZE, 1, 1, &tp);
	if (rc < 0)
		return rc == -ENOMEM ? -ENOSPC : rc;
	i = pool_find(tp, &rq);
	if (i < 0) {
		pool_free(t, tp);
		return -ENOSPC;
	}
	fill(tp, (unsigned)i, pad, offset, orig, size, dir, &rq);
	p = tp;
	pthread_rwlock_wrlock(&t->pools_lock);
	tp->next = t->transients;
	t->transients = tp;
	pthread_rwlock_unlock(&t->pools_lock);
	pthread_mutex_lock(&t->grow_lock);
	t->ntransient++;
	pthread_mutex_unlock(&t->grow_lock);

bounce:
	bus = slot_addr(p, (unsigned)i + pad) + offset;
	/* Always copy in, whatever @dir: a partial device write must leave
	 * the rest as the original was, never stale pool data. */
	if (!(attrs & DUET_DMA_ATTR_SKIP_CPU_SYNC))
		memcpy(p->cpu + (bus - p->start), orig, size);
	else
		memset(p->cpu + (bus - p->start), 0, size);
	if (bus + size - 1 > (c->dma_mask ? c->dma_mask : ~0ull)) {
		dma_swiotlb_unmap(t, bus, size, dir,
				  DUET_DMA_ATTR_SKIP_CPU_SYNC);
		return -EIO;
	}
	*out = bus;
	return 0;
}

/* Look up the mapping around [addr, +size).  Caller holds pools_lock. */
static int lookup(struct duet_swiotlb *t, duet_dma_addr_t addr, size_t size,
		  struct pool **pp, struct slot **sp, uint64_t *bstart)
{
	struct pool *p = find_pool(t, addr);
	struct slot *s;
	uint64_t b;

	if (!p)
		return -EINVAL;
	s = &p->slots[(addr - p->start) >> SLOT_SHIFT];
	if (!s->orig)
		return -EINVAL;
	b = slot_addr(p, s->head) + s->offset;
	if (addr < b || addr + size > b + s->size || addr + size < addr)
		return -EINVAL;
	*pp = p;
	*sp = s;
	*bstart = b;
	return 0;
}

int dma_swiotlb_unmap(struct duet_swiotlb *t, duet_dma_addr_t addr,
		      size_t size, enum duet_dma_dir dir, unsigned attrs)
{
	struct pool *p, **pp;
	struct slot *s;
	unsigned run, n;
	uint64_t b;
	int rc;

	pthread_rwlock_rdlock(&t->pools_lock);
	rc = lookup(t, addr, size, &p, &s, &b);
	if (rc == 0 && (addr != b || size != s->size || s->dir != dir))
		rc = -EINVAL;
	if (rc < 0) {
		pthread_rwlock_unlock(&t->pools_lock);
		return rc;
	}
	if (!(attrs & DUET_DMA_ATTR_SKIP_CPU_SYNC) &&
	    (dir == DUET_DMA_FROM_DEVICE || dir == DUET_DMA_BIDIRECTIONAL))
		memcpy(s->orig, p->cpu + (addr - p->start), size);
	run = s->head - p->slots[s->head].pad;
	n = p->slots[s->head].nslots;
	area_release(p, run, n);
	pthread_rwlock_unlock(&t->pools_lock);
	if (!p->transient) {
		idle_shrink(t);
		return 0;
	}
	pthread_rwlock_wrlock(&t->pools_lock);
	for (pp = &t->transients; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	pthread_rwlock_unlock(&t->pools_lock);
	pool_free(t, p);
	pthread_mutex_lock(&t->grow_lock);
	t->ntransient--;
	pthread_mutex_unlock(&t->grow_lock);
	return 0;
}

int dma_swiotlb_sync(struct duet_swiotlb *t, duet_dma_addr_t addr,
		     size_t size, enum duet_dma_dir dir, int for_cpu)
{
	struct pool *p;
	struct slot *s;
	uint64_t b;
	int rc;

	pthread_rwlock_rdlock(&t->pools_lock);
	rc = lookup(t, addr, size, &p, &s, &b);
	if (rc == 0 && s->dir != dir)
		rc = -EINVAL;
	if (rc == 0) {
		unsigned char *bounce = p->cpu + (addr - p->start);
		unsigned char *cpu = s->orig + (addr - b);

		if (for_cpu && dir != DUET_DMA_TO_DEVICE)
			memcpy(cpu, bounce, size);
		else if (!for_cpu && dir != DUET_DMA_FROM_DEVICE)
			memcpy(bounce, cpu, size);
	}
	pthread_rwlock_unlock(&t->pools_lock);
	return rc;
}

void dma_swiotlb_stats(struct duet_swiotlb *t, struct duet_dma_stats *st)
{
	struct pool *p;
	unsigned i, k;

	pthread_rwlock_rdlock(&t->pools_lock);
	for (i = 0; i < t->npools; i++) {
		p = t->pools[i];
		st->bounce_total += p->nslots;
		for (k = 0; k < p->nareas; k++) {
			pthread_mutex_lock(&p->areas[k].lock);
			st->bounce_used += p->areas[k].used;
			pthread_mutex_unlock(&p->areas[k].lock);
		}
	}
	for (p = t->transients; p; p = p->next) {
		st->bounce_total += p->nslots;
		st->bounce_used += p->areas[0].used;
	}
	st->pools = t->npools;
	st->grown = t->grown;
	pthread_rwlock_unlock(&t->pools_lock);
}

/* ------------------------------------------------------------------ */
/* The "swiotlb" backend                                               */
/* ------------------------------------------------------------------ */

/*
 * Bounce unless the buffer is usable as it is (own RAM, machine
 * contiguous, below the mask) and "force" was not given; the device
 * reaches the bounce slots' frames (and pass-through buffers) while they
 * are mapped, read-only for TO_DEVICE.
 */
struct stlb {
	struct duet_dma_dev *dev;
	struct duet_swiotlb *t;
	struct dma_reach reach;
	struct dma_maplist direct;
	int force;
};

static int stlb_attach(struct duet_dma_dev *dev, const char *opts,
		       void **priv)
{
	struct stlb *s;
	int rc;

	if (opts && *opts && strcmp(opts, "force"))
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	rc = dma_swiotlb_get(duet_dma_dev_domain(dev), &s->t);
	if (rc == 0)
		rc = dma_reach_init(&s->reach,
				    duet_dma_dev_mem(dev)->nframes);
	if (rc < 0) {
		free(s);
		return rc;
	}
	dma_maplist_init(&s->direct);
	s->dev = dev;
	s->force = opts && !strcmp(opts, "force");
	*priv = s;
	return 0;
}

static void stlb_detach(void *priv)
{
	struct stlb *s = priv;

	dma_reach_fini(&s->reach);
	dma_maplist_fini(&s->direct);
	free(s);
}

static int stlb_map(void *priv, void *cpu, size_t size, enum duet_dma_dir dir,
		    unsigned attrs, duet_dma_addr_t *addr)
{
	struct stlb *s = priv;
	const struct duet_dma_dev_cfg *c = duet_dma_dev_cfg_get(s->dev);
	duet_domid_t owner;
	uint64_t m;
	int rc;

	if (!s->force && dma_direct_addr(s->dev, cpu, size, &m) == 0) {
		rc = dma_maplist_add(&s->direct, m, size, dir);
		if (rc < 0)
			return rc;
		dma_reach_update(&s->reach, m, size, dir, 1);
		*addr = m;
		return 0;
	}
	/* Only the domain's own RAM is bounced from here; another domain's
	 * frame comes through the glue. */
	rc = duet_dma_virt_to_maddr(duet_dma_dev_mem(s->dev), cpu, &m, &owner,
				    NULL);
	if (rc < 0)
		return rc;
	if (owner != duet_dma_domain_id(duet_dma_dev_domain(s->dev)))
		return -EACCES;
	rc = dma_swiotlb_map(s->t, c, cpu, size, dir, attrs, 0, &m);
	if (rc < 0)
		return rc;
	dma_reach_update(&s->reach, m, size, dir, 1);
	*addr = m;
	return 0;
}

/* Coherent memory is never bounced (Linux's swiotlb leaves it to
 * dma-direct): machine-contiguous pages below the coherent mask, mapped
 * as they are. */
static int stlb_alloc_coherent(void *priv, size_t size, void **cpu,
			       duet_dma_addr_t *addr)
{
	struct stlb *s = priv;
	const struct duet_dma_dev_cfg *c = duet_dma_dev_cfg_get(s->dev);
	struct duet_dma_domain *d = duet_dma_dev_domain(s->dev);
	unsigned npages = (unsigned)((size + FRAME_SIZE - 1) / FRAME_SIZE);
	unsigned bits = 0;
	uint64_t mask, m;
	void *p;
	int rc;

	for (mask = c->coherent_mask; mask & 1; mask >>= 1)
		bits++;
	rc = duet_dma_domain_alloc_contig(d, npages, bits, &p);
	if (rc < 0)
		return rc;
	rc = duet_dma_virt_to_maddr(duet_dma_dev_mem(s->dev), p, &m, NULL,
				    NULL);
	if (rc == 0)
		rc = dma_maplist_add(&s->direct, m, size,
				     DUET_DMA_BIDIRECTIONAL);
	if (rc < 0) {
		duet_dma_domain_free(d, p, npages);
		return rc;
	}
	dma_reach_update(&s->reach, m, size, DUET_DMA_BIDIRECTIONAL, 1);
	*cpu = p;
	*addr = m;
	return 0;
}

static int stlb_free_coherent(void *priv, size_t size, void *cpu,
			      duet_dma_addr_t addr)
{
	struct stlb *s = priv;
	int rc = dma_maplist_del(&s->direct, addr, size,
				 DUET_DMA_BIDIRECTIONAL);

	if (rc < 0)
		return rc;
	dma_reach_update(&s->reach, addr, size, DUET_DMA_BIDIRECTIONAL, 0);
	return duet_dma_domain_free(duet_dma_dev_domain(s->dev), cpu,
				    (unsigned)((size + FRAME_SIZE - 1) /
					       FRAME_SIZE));
}

static int stlb_unmap(void *priv, duet_dma_addr_t addr, size_t size,
		      enum duet_dma_dir dir, unsigned attrs)
{
	struct stlb *s = priv;
	int rc;

	if (dma_swiotlb_owns(s->t, addr)) {
		rc = dma_swiotlb_unmap(s->t, addr, size, dir, attrs);
	} else {
		rc = dma_maplist_del(&s->direct, addr, size, dir);
	}
	if (rc == 0)
		dma_reach_update(&s->reach, addr, size, dir, 0);
	return rc;
}

static int stlb_sync_cpu(void *priv, duet_dma_addr_t addr, size_t size,
			 enum duet_dma_dir dir)
{
	struct stlb *s = priv;

	if (!dma_swiotlb_owns(s->t, addr))
		return 0;
	return dma_swiotlb_sync(s->t, addr, size, dir, 1);
}

static int stlb_sync_dev(void *priv, duet_dma_addr_t addr, size_t size,
			 enum duet_dma_dir dir)
{
	struct stlb *s = priv;

	if (!dma_swiotlb_owns(s->t, addr))
		return 0;
	return dma_swiotlb_sync(s->t, addr, size, dir, 0);
}

static int stlb_translate(void *priv, duet_dma_addr_t addr, int write,
			  uint64_t *maddr)
{
	struct stlb *s = priv;
	int rc = dma_reach_check(&s->reach, addr, write);

	if (rc == 0)
		*maddr = addr;
	return rc;
}

static size_t stlb_max_mapping(void *priv)
{
	struct stlb *s = priv;

	return dma_swiotlb_max_mapping(duet_dma_dev_cfg_get(s->dev));
}

static void stlb_stats(void *priv, struct duet_dma_stats *st)
{
	struct stlb *s = priv;

	dma_swiotlb_stats(s->t, st);
}

DUET_INTERNAL const struct duet_dma_ops duet_dma_swiotlb_ops = {
	.name = "swiotlb",
	.attach = stlb_attach,
	.detach = stlb_detach,
	.map = stlb_map,
	.unmap = stlb_unmap,
	.sync_for_cpu = stlb_sync_cpu,
	.sync_for_device = stlb_sync_dev,
	.alloc_coherent = stlb_alloc_coherent,
	.free_coherent = stlb_free_coherent,
	.translate = stlb_translate,
	.max_mapping = stlb_max_mapping,
	.stats = stlb_stats,
};

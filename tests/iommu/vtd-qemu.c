/* SPDX-License-Identifier: MIT */
/*
 * vtd-qemu - runs as root inside a QEMU guest (q35, intel-iommu, edu) and
 * checks duet's VT-d model against QEMU's intel-iommu.
 *
 * duet's driver (iommu-glue/vtd-drv.c) builds root, context and page
 * tables in a hugepage whose guest-physical address pagemap gives, and
 * programs two units with every register write: QEMU's, mapped from
 * /dev/mem, and duet's model walking the same memory.  QEMU's edu device
 * then DMAs through the tables; for each access the model translates the
 * same IOVA, and one TAP line prints QEMU's result next to duet's.
 *
 * Usage: vtd-qemu [regs|qi]... (invalidation through registers or the
 * queue; default both).  Needs the kernel's own DMAR driver off
 * (intel_iommu=off) and hugepages.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "iommu-glue/vtd.h"
#include "tap.h"

#define HUGE		(2u << 20)
#define DMAR_DEFAULT	0xfed90000ull
#define EDU_BUF		0x40000ull	/* edu's DMA buffer, device side */
#define EDU_MAX		4095		/* QEMU 7.2 edu: 4096 aborts */

#define BAIL_OUT(msg)                                   \
	do {                                            \
		printf("Bail out! %s\n", msg);         \
		exit(1);                                \
	} while (0)

static volatile uint8_t *dmar;		/* QEMU's register page */
static volatile uint8_t *edu;		/* edu BAR0 */
static struct duet_vtd *model;
static struct duet_iommu_arena arena;
static uint16_t sid;

/* ---- the two units behind one register interface ---- */

static uint64_t mmio_rd(unsigned int off, unsigned int size)
{
	if (size == 8)
		return *(volatile uint64_t *)(dmar + off);
	return *(volatile uint32_t *)(dmar + off);
}

static void mmio_wr(unsigned int off, uint64_t v, unsigned int size)
{
	if (size == 8)
		*(volatile uint64_t *)(dmar + off) = v;
	else
		*(volatile uint32_t *)(dmar + off) = (uint32_t)v;
}

/* Reads come from QEMU (the real unit); writes go to both. */
static uint64_t both_read(void *opaque, unsigned int off, unsigned int size)
{
	return mmio_rd(off, size);
}

static void both_write(void *opaque, unsigned int off, uint64_t v,
		       unsigned int size)
{
	/* The model first: a QI status write must not race QEMU's. */
	duet_vtd_write(model, off, v, size);
	mmio_wr(off, v, size);
}

static int pg_alloc(void *opaque, uint64_t *pa)
{
	return duet_iommu_arena_alloc(&arena, pa);
}

static void pg_free(void *opaque, uint64_t pa)
{
	duet_iommu_arena_free(&arena, pa);
}

/* ---- guest plumbing ---- */

static void *map_phys(uint64_t pa, size_t len)
{
	int fd = open("/dev/mem", O_RDWR | O_SYNC);
	void *p;

	if (fd < 0)
		return NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)pa);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

/* Register base of the first DRHD in the ACPI DMAR table. */
static uint64_t dmar_base(void)
{
	uint8_t t[4096];
	uint64_t base = DMAR_DEFAULT;
	int fd = open("/sys/firmware/acpi/tables/DMAR", O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return base;
	n = read(fd, t, sizeof(t));
	close(fd);
	/* Header 36 + 12 bytes, then remapping structures; DRHD is type 0 */
	if (n >= 48 + 16 && t[48] == 0 && t[49] == 0)
		memcpy(&base, t + 48 + 8, 8);
	return base;
}

/* Find edu (1234:11e8), enable memory and bus mastering, map BAR0. */
static int find_edu(void)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *e;
	char p[512], buf[256];
	unsigned int dom, bus, dev, fn;
	int fd, found = 0;

	if (!d)
		return -1;
	while (!found && (e = readdir(d))) {
		FILE *f;
		unsigned int ven = 0, did = 0;

		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/vendor",
			 e->d_name);
		f = fopen(p, "r");
		if (!f)
			continue;
		if (fscanf(f, "%x", &ven) != 1)
			ven = 0;
		fclose(f);
		snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/device",
			 e->d_name);
		f = fopen(p, "r");
		if (!f)
			continue;
		if (fscanf(f, "%x", &did) != 1)
			did = 0;
		fclose(f);
		if (ven != 0x1234 || did != 0x11e8)
			continue;
		if (sscanf(e->d_name, "%x:%x:%x.%x", &dom, &bus, &dev, &fn) !=
		    4)
			continue;
		found = 1;
		sid = (uint16_t)(bus << 8 | dev << 3 | fn);
		snprintf(buf, sizeof(buf), "%s", e->d_name);
	}
	closedir(d);
	if (!found)
		return -1;
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/config", buf);
	fd = open(p, O_RDWR);
	if (fd >= 0) {
		uint16_t cmd = 0;

		if (pread(fd, &cmd, 2, 4) == 2) {
			cmd |= 0x6;	/* memory space, bus master */
			if (pwrite(fd, &cmd, 2, 4) != 2)
				diag("cannot enable bus mastering");
		}
		close(fd);
	}
	snprintf(p, sizeof(p), "/sys/bus/pci/devices/%s/resource0", buf);
	fd = open(p, O_RDWR | O_SYNC);
	if (fd < 0)
		return -1;
	edu = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return edu == MAP_FAILED ? -1 : 0;
}

static uint64_t edu_rd(unsigned int off)
{
	return *(volatile uint64_t *)(edu + off);
}

static void edu_wr(unsigned int off, uint64_t v)
{
	*(volatile uint64_t *)(edu + off) = v;
}

/* One edu DMA; to_ram: edu buffer -> IOVA, else IOVA -> edu buffer. */
static int edu_dma(uint64_t iova, uint64_t len, int to_ram)
{
	int i;

	edu_wr(0x80, to_ram ? EDU_BUF : iova);
	edu_wr(0x88, to_ram ? iova : EDU_BUF);
	edu_wr(0x90, len);
	edu_wr(0x98, 1 | (to_ram ? 2 : 0));
	for (i = 0; i < 2000; i++) {
		if (!(edu_rd(0x98) & 1))
			return 0;
		usleep(5000);
	}
	return -ETIMEDOUT;
}

/* Huge page with its guest-physical address. */
static void *huge_page(uint64_t *pa)
{
	void *p = mmap(NULL, HUGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
			       MAP_POPULATE | MAP_LOCKED,
		       -1, 0);
	uint64_t ent;
	int fd;

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0, HUGE);
	fd = open("/proc/self/pagemap", O_RDONLY);
	if (fd < 0 || pread(fd, &ent, 8, (off_t)((uintptr_t)p / 4096 * 8)) != 8)
		return NULL;
	close(fd);
	if (!(ent >> 63) || !(ent & ((1ull << 55) - 1)))
		return NULL;
	*pa = (ent & ((1ull << 55) - 1)) << 12;
	return p;
}

/* ---- one observation of each side ---- */

struct obs {
	int refused;		/* 1: refused (a fault), 0: went through */
	unsigned int reason;	/* fault reason when refused */
	uint64_t pa;		/* where it went (model) */
	uint64_t frcd_hi;	/* fault record, PASID masked */
};

static uint64_t check_iova, zero_iova;	/* RW probe pages */
static uint64_t check_pa, zero_pa;

static void clear_faults(void)
{
	both_write(NULL, VTD_REG_FRCD + 12, 1u << 31, 4);
	both_write(NULL, VTD_REG_FSTS, VTD_FSTS_PFO | VTD_FSTS_IQE, 4);
}

/* QEMU's record (if any) after a DMA. */
static void qemu_fault(struct obs *q)
{
	uint64_t hi = mmio_rd(VTD_REG_FRCD + 8, 8);

	q->frcd_hi = hi & ~VTD_FRCD_PASID_MASK;
	q->refused = !!(hi & VTD_FRCD_F);
	q->reason = q->refused ? (unsigned int)VTD_FRCD_FR(hi) : 0;
}

/* The model's view of the same device access (fills its caches). */
static void model_access(uint64_t iova, uint64_t len, int access,
			 struct obs *m)
{
	struct duet_iommu_fault f;
	uint64_t pa, done = 0;
	int rc;

	memset(m, 0, sizeof(*m));
	while (done < len) {
		rc = duet_iommu_translate(duet_vtd_unit(model), sid,
					  iova + done, len - done, access, &pa,
					  &f);
		if (rc < 0) {
			m->refused = 1;
			m->reason = f.reason;
			m->frcd_hi = duet_vtd_read(model, VTD_REG_FRCD + 8, 8);
			return;
		}
		if (!done)
			m->pa = pa;
		done += (uint64_t)rc;
	}
}

/*
 * The device reads n bytes at iova: edu's buffer is zeroed first (from
 * zero_iova), then loaded from iova, then written out to the check page.
 * QEMU read iova iff the check page holds want.
 */
static void probe_read(uint64_t iova, uint64_t n, const uint8_t *want,
		       struct obs *q, struct obs *m)
{
	uint8_t *chk = duet_iommu_arena_ptr(&arena, check_pa);
	struct obs dummy;

	edu_dma(zero_iova, n, 0);
	model_access(zero_iova, n, DUET_IOMMU_READ, &dummy);
	clear_faults();
	edu_dma(iova, n, 0);
	qemu_fault(q);
	model_access(iova, n, DUET_IOMMU_READ, m);
	clear_faults();
	memset(chk, 0xee, 4096);
	edu_dma(check_iova, n, 1);
	model_access(check_iova, n, DUET_IOMMU_WRITE, &dummy);
	if (!q->refused && want && memcmp(chk, want, n))
		q->refused = -1;	/* went through but wrong bytes */
	if (q->refused > 0 && memcmp(chk, (uint8_t[4096]){ 0 }, n))
		q->refused = -2;	/* faulted yet bytes arrived */
	clear_faults();
}

/* The device writes n bytes of edu's buffer at iova. */
static void probe_write(uint64_t iova, uint64_t n, struct obs *q,
			struct obs *m)
{
	clear_faults();
	edu_dma(iova, n, 1);
	qemu_fault(q);
	model_access(iova, n, DUET_IOMMU_WRITE, m);
	clear_faults();
}

static const char *res(const struct obs *o, char *b, size_t n)
{
	if (o->refused > 0)
		snprintf(b, n, "fault reason %u", o->reason);
	else if (o->refused < 0)
		snprintf(b, n, "WRONG BYTES");
	else
		snprintf(b, n, "ok");
	return b;
}

static const char *how_now = "";

static void compare(const char *what, const struct obs *q,
		    const struct obs *m)
{
	char a[32], b[32];

	ok(q->refused >= 0 && q->refused == m->refused &&
		   q->reason == m->reason,
	   "%s: %s: QEMU %s | duet %s", how_now, what, res(q, a, sizeof(a)),
	   res(m, b, sizeof(b)));
	if (q->refused > 0 && m->refused > 0)
		diag("  FRCD hi (PASID masked): QEMU %#018" PRIx64
		     "  duet %#018" PRIx64,
		     q->frcd_hi, m->frcd_hi);
}

/* ---- the checks ---- */

static uint64_t arena_sum(void)
{
	uint64_t s = 0;
	size_t i;

	for (i = 0; i < arena.size; i++)
		s = s * 131 + arena.buf[i];
	return s;
}

static uint64_t data_page(uint8_t seed)
{
	uint64_t pa;
	uint8_t *p;
	int i;

	if (duet_iommu_arena_alloc(&arena, &pa))
		return 0;
	p = duet_iommu_arena_ptr(&arena, pa);
	for (i = 0; i < 4096; i++)
		p[i] = (uint8_t)(seed + i * 7 + (i >> 8));
	return pa;
}

static void run(void *buf, uint64_t pa, int use_qi)
{
	/* The width QEMU was started with: 48 offers 4-level tables. */
	unsigned int aw_bits = VTD_CAP_SAGAW(mmio_rd(VTD_REG_CAP, 8)) & 4 ?
				       48 : 39;
	unsigned int aw = aw_bits == 48 ? 2 : 1;
	struct duet_vtd_config cfg = { .aw_bits = aw_bits, .nfr = 1 };
	struct duet_vtd_pages pages = { pg_alloc, pg_free, NULL };
	struct duet_vtd_dom_config sc = { .did = 1, .aw = aw,
					  .mode = DUET_VTD_STRICT };
	struct duet_vtd_dom_config lc = { .did = 2, .aw = aw,
					  .mode = DUET_VTD_LAZY,
					  .iova_base = 1ull << 32,
					  .iova_limit = 1ull << 33 };
	struct duet_vtd_hwif hw = { both_read, both_write, NULL };
	const char *how = use_qi ? (aw == 2 ? "4-level QI" : "3-level QI") :
				   (aw == 2 ? "4-level regs" :
					      "3-level regs");
	struct duet_vtd_drv *drv;
	struct duet_vtd_dom *dom, *lazy;
	struct obs q, m;
	uint64_t src, dst, ro, a, b, iova_src, iova_dst, iova_ro, iova, sum;
	uint8_t *srcp;
	char what[128];
	int i, rc;

	how_now = how;
	memset(buf, 0, HUGE);
	duet_iommu_arena_init(&arena, buf, pa, HUGE);
	duet_vtd_create(&cfg, &arena.mem, &model);
	is_int(duet_vtd_read(model, VTD_REG_CAP, 8), mmio_rd(VTD_REG_CAP, 8),
	       "%s: CAP: QEMU %#" PRIx64 " | duet %#" PRIx64, how,
	       mmio_rd(VTD_REG_CAP, 8), duet_vtd_read(model, VTD_REG_CAP, 8));
	is_int(duet_vtd_read(model, VTD_REG_ECAP, 8), mmio_rd(VTD_REG_ECAP, 8),
	       "%s: ECAP: QEMU %#" PRIx64 " | duet %#" PRIx64, how,
	       mmio_rd(VTD_REG_ECAP, 8), duet_vtd_read(model, VTD_REG_ECAP, 8));
	rc = duet_vtd_drv_open(&hw, &arena.mem, &pages, use_qi, &drv);
	is_int(rc, 0, "%s: duet's driver brings up QEMU's unit and the model "
	       "(GSTS QEMU %#x | duet %#x)", how,
	       (unsigned int)mmio_rd(VTD_REG_GSTS, 4),
	       (unsigned int)duet_vtd_read(model, VTD_REG_GSTS, 4));
	if (rc)
		return;
	both_write(NULL, VTD_REG_FECTL, VTD_FECTL_IM, 4);
	clear_faults();
	if (duet_vtd_dom_create(drv, &sc, &dom) ||
	    duet_vtd_dom_attach(dom, sid))
		BAIL_OUT("strict domain");

	/* Probe pages: a zero page and a check page, both R/W. */
	if (duet_iommu_arena_alloc(&arena, &check_pa) ||
	    duet_iommu_arena_alloc(&arena, &zero_pa) ||
	    duet_vtd_dom_map(dom, check_pa, 4096, 3, &check_iova) ||
	    duet_vtd_dom_map(dom, zero_pa, 4096, 3, &zero_iova))
		BAIL_OUT("probe pages");

	/* 1. A mapped IOVA: bytes land in the right page. */
	src = data_page(0x31);
	dst = data_page(0);
	srcp = duet_iommu_arena_ptr(&arena, src);
	duet_vtd_dom_map(dom, src + 0x10, EDU_MAX, DUET_IOMMU_READ, &iova_src);
	duet_vtd_dom_map(dom, dst, 4096, DUET_IOMMU_WRITE, &iova_dst);
	memset(duet_iommu_arena_ptr(&arena, dst), 0, 4096);
	clear_faults();
	edu_dma(iova_src, EDU_MAX - 0x10, 0);
	qemu_fault(&q);
	model_access(iova_src, EDU_MAX - 0x10, DUET_IOMMU_READ, &m);
	snprintf(what, sizeof(what),
		 "edu reads IOVA %#" PRIx64 " (R-only, pa %#" PRIx64 ")",
		 iova_src, src + 0x10);
	compare(what, &q, &m);
	ok(m.pa == src + 0x10, "%s: duet's walker: IOVA %#" PRIx64
	   " -> pa %#" PRIx64 " (mapped %#" PRIx64 ")", how, iova_src, m.pa,
	   src + 0x10);
	edu_dma(iova_dst + 0x10, EDU_MAX - 0x10, 1);
	qemu_fault(&q);
	model_access(iova_dst + 0x10, EDU_MAX - 0x10, DUET_IOMMU_WRITE, &m);
	compare("edu writes the bytes back through a W-only IOVA", &q, &m);
	{
		uint8_t *d = duet_iommu_arena_ptr(&arena, dst);
		int good = !memcmp(d + 0x10, srcp + 0x10, EDU_MAX - 0x10);

		for (i = 0; i < 4096; i++) {
			uint8_t w = i < 0x10 || i >= EDU_MAX ? 0 : srcp[i];

			if (d[i] != w) {
				diag("first difference at %#x: %#x, want %#x",
				     i, d[i], w);
				good = 0;
				break;
			}
		}
		ok(good && m.pa == dst + 0x10,
		   "%s: %d bytes landed byte for byte at pa %#" PRIx64
		   " (duet: %#" PRIx64 "), nothing around them", how,
		   EDU_MAX - 0x10, dst + 0x10, m.pa);
	}
	memset(duet_iommu_arena_ptr(&arena, dst), 0, 4096);

	/* 1b. A 2 MiB superpage: the whole hugepage, read-only, at 1 GiB. */
	duet_vtd_dom_map_at(dom, 0x40000000, arena.pa, HUGE, DUET_IOMMU_READ);
	probe_read(0x40000000 + (src - arena.pa) + 0x100, 256, srcp + 0x100,
		   &q, &m);
	ok(!q.refused && m.pa == src + 0x100,
	   "%s: 2 MiB superpage (PS in a level-2 entry): QEMU reads the "
	   "right bytes | duet pa %#" PRIx64 " (want %#" PRIx64 ")", how,
	   m.pa, src + 0x100);

	/* 2. Unmapped IOVA, write and read; beyond the width. */
	probe_write(0x7654000, 64, &q, &m);
	compare("unmapped IOVA 0x7654000, DMA write", &q, &m);
	probe_read(0x7655000, 64, NULL, &q, &m);
	compare("unmapped IOVA 0x7655000, DMA read", &q, &m);
	probe_write(1ull << aw_bits, 64, &q, &m);
	snprintf(what, sizeof(what), "IOVA 2^%u beyond the %u-bit width, "
		 "DMA write", aw_bits, aw_bits);
	compare(what, &q, &m);
	ro = data_page(0x77);
	duet_vtd_dom_map(dom, ro, 4096, DUET_IOMMU_READ, &iova_ro);
	sum = arena_sum();
	probe_write(iova_ro, 64, &q, &m);
	compare("write through a read-only entry", &q, &m);
	ok(arena_sum() == sum, "%s: refused DMAs changed no byte of the "
	   "hugepage (tables, data)", how);
	/*
	 * The same write once the read-only entry is in the IOTLB: QEMU
	 * lets the hit through, the write is dropped and nothing recorded;
	 * duet faults from the cached permissions (both allowed).
	 */
	probe_read(iova_ro, 64, duet_iommu_arena_ptr(&arena, ro), &q, &m);
	probe_write(iova_ro, 64, &q, &m);
	diag("  write through a cached read-only entry: QEMU %s | duet %s",
	     q.refused ? "fault recorded" : "no record",
	     m.refused ? "fault reason 5" : "ok");
	{
		uint8_t *r = duet_iommu_arena_ptr(&arena, ro);
		int same = 1;

		for (i = 0; i < 64; i++)
			same &= r[i] == (uint8_t)(0x77 + i * 7);
		ok(same, "%s: and the read-only page kept its bytes", how);
	}

	/* 3. A changed entry is used only after duet's invalidation. */
	a = data_page(0xa0);
	b = data_page(0xb0);
	iova = 0x10000000;
	duet_vtd_dom_map_at(dom, iova, a, 4096, DUET_IOMMU_READ);
	probe_read(iova, 256, duet_iommu_arena_ptr(&arena, a), &q, &m);
	ok(!q.refused && m.pa == a, "%s: entry -> page A: QEMU reads A | "
	   "duet pa %#" PRIx64 " (A %#" PRIx64 ")", how, m.pa, a);
	duet_vtd_dom_map_at(dom, iova, b, 4096, DUET_IOMMU_READ);
	probe_read(iova, 256, duet_iommu_arena_ptr(&arena, a), &q, &m);
	ok(!q.refused && m.pa == a, "%s: retargeted to B, not invalidated: "
	   "QEMU still reads A | duet predicts A (%#" PRIx64 ")", how, m.pa);
	duet_vtd_drv_inv_iotlb(drv, VTD_INV_PAGE, 1, iova, 1);
	probe_read(iova, 256, duet_iommu_arena_ptr(&arena, b), &q, &m);
	ok(!q.refused && m.pa == b, "%s: after duet's page-selective "
	   "invalidation: QEMU reads B | duet pa %#" PRIx64 " (B %#" PRIx64
	   ")", how, m.pa, b);
	duet_vtd_dom_unmap_at(dom, iova, 4096);
	probe_read(iova, 256, NULL, &q, &m);
	compare("strict unmap of a cached entry, then read", &q, &m);

	/* 4. Lazy: the stale window. */
	if (duet_vtd_dom_create(drv, &lc, &lazy) ||
	    duet_vtd_dom_map_at(lazy, check_iova, check_pa, 4096, 3) ||
	    duet_vtd_dom_map_at(lazy, zero_iova, zero_pa, 4096, 3))
		BAIL_OUT("lazy domain");
	duet_vtd_dom_attach(lazy, sid);
	a = data_page(0xc0);
	duet_vtd_dom_map(lazy, a, 4096, DUET_IOMMU_READ, &iova);
	probe_read(iova, 512, duet_iommu_arena_ptr(&arena, a), &q, &m);
	compare("lazy domain: mapped, read (now cached)", &q, &m);
	duet_vtd_dom_unmap(lazy, iova, 4096);
	for (i = 0; i < 3; i++) {
		probe_read(iova, 512, duet_iommu_arena_ptr(&arena, a), &q, &m);
		snprintf(what, sizeof(what),
			 "lazy unmap, %u queued, read %d before the "
			 "flush (stale window)", duet_vtd_dom_queued(lazy),
			 i + 1);
		compare(what, &q, &m);
	}
	duet_vtd_dom_flush(lazy);
	for (i = 0; i < 2; i++) {
		probe_read(iova, 512, NULL, &q, &m);
		snprintf(what, sizeof(what),
			 "after duet's batched invalidation, read %d", i + 1);
		compare(what, &q, &m);
	}
	b = data_page(0xd0);
	duet_vtd_dom_map(lazy, b, 4096, DUET_IOMMU_READ, &iova);
	duet_vtd_dom_unmap(lazy, iova, 4096);
	probe_read(iova, 512, NULL, &q, &m);
	compare("lazy unmap of an entry the device never used: no window",
		&q, &m);

	/* 5. A changed context entry needs a context-cache invalidation. */
	{
		uint64_t root = duet_vtd_drv_root(drv), ctp, *ce;

		a = data_page(0xe0);
		b = data_page(0xf0);
		duet_vtd_dom_map_at(lazy, 0x20000000, a, 4096, 1);
		duet_vtd_dom_map_at(dom, 0x20000000, b, 4096, 1);
		probe_read(0x20000000, 128, duet_iommu_arena_ptr(&arena, a),
			   &q, &m);
		ok(!q.refused && m.pa == a, "%s: device in the lazy domain "
		   "reads A (duet %#" PRIx64 ")", how, m.pa);
		ctp = *(uint64_t *)duet_iommu_arena_ptr(&arena, root) &
		      ~0xfffull;
		ce = duet_iommu_arena_ptr(&arena, ctp + (sid & 0xff) * 16);
		/* Move the device to the strict domain by hand. */
		ce[0] = 0;
		ce[1] = VTD_CTX_HI(1, aw);
		ce[0] = duet_vtd_dom_pgd(dom) | VTD_CTX_P;
		duet_vtd_drv_inv_iotlb(drv, VTD_INV_GLOBAL, 0, 0, 0);
		probe_read(0x20000000, 128, duet_iommu_arena_ptr(&arena, a),
			   &q, &m);
		ok(!q.refused && m.pa == a, "%s: context changed, only the "
		   "IOTLB flushed: QEMU reads A | duet predicts A (%#" PRIx64
		   ")", how, m.pa);
		duet_vtd_drv_inv_context(drv, VTD_INV_DEVICE, 2, sid);
		probe_read(0x20000000, 128, duet_iommu_arena_ptr(&arena, b),
			   &q, &m);
		/*
		 * Not a check: software must now flush the old domain's
		 * IOTLB entries, so what a unit does before that is its
		 * own.  QEMU tags its IOTLB by source id and still reads A;
		 * duet tags by domain id (as the specification) and reads B.
		 */
		diag("  context-cache invalidation alone: QEMU %s | duet %s",
		     q.refused == -1 ? "still reads A" :
		     q.refused ? "faults" : "reads B",
		     m.pa == b ? "reads B" : "reads A");
		duet_vtd_drv_inv_iotlb(drv, VTD_INV_DOMAIN, 2, 0, 0);
		probe_read(0x20000000, 128, duet_iommu_arena_ptr(&arena, b),
			   &q, &m);
		ok(!q.refused && m.pa == b, "%s: after the context-cache "
		   "and old domain's IOTLB invalidation: QEMU reads B | duet "
		   "pa %#" PRIx64 " (B %#" PRIx64 ")", how, m.pa, b);
	}
	duet_vtd_drv_close(drv);
	duet_vtd_destroy(model);
	model = NULL;
}

int main(int argc, char **argv)
{
	uint64_t pa, base;
	void *buf;
	int i, done = 0;

	if (geteuid())
		skip_all("needs root inside the guest");
	base = dmar_base();
	dmar = map_phys(base, 4096);
	if (!dmar)
		skip_all("cannot map the DMAR registers through /dev/mem");
	if (find_edu())
		skip_all("no edu device");
	buf = huge_page(&pa);
	if (!buf)
		skip_all("no hugepage with a known physical address");
	diag("DMAR at %#" PRIx64 ", VER %#x; edu source id %#06x; hugepage "
	     "at guest-physical %#" PRIx64, base,
	     (unsigned int)mmio_rd(VTD_REG_VER, 4), sid, pa);
	for (i = 1; i < argc; i++) {
		run(buf, pa, !strcmp(argv[i], "qi"));
		done++;
	}
	if (!done) {
		run(buf, pa, 0);
		run(buf, pa, 1);
	}
	return done_testing();
}

/* SPDX-License-Identifier: MIT */
/*
 * vtd.c - a model of an Intel VT-d DMA remapping unit in legacy mode:
 * register page, root/context/second-level walk, context cache and
 * IOTLB tagged by domain id, register and queued invalidation, fault
 * recording.  Encodings in vtd-regs.h.
 *
 * Where the hardware leaves a choice the model takes QEMU's intel-iommu
 * behaviour, because that is what it is checked against: GCMD is taken as
 * the whole desired state; a fault from a requester that already has a
 * pending record is collapsed into it (no overflow); a missing entry at
 * any level faults with the access's permission reason (5 write, 6 read).
 * One deliberate difference: QEMU lets an IOTLB hit through whatever its
 * permissions (the access then fails without a record); the model, as the
 * specification allows, faults from the cached permissions.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iommu-glue/vtd.h"

/* ---- caches ---- */

/* An IOTLB entry: one leaf translation of one domain. */
struct iotlb_ent {
	uint64_t tag;		/* iova >> page shift of the leaf */
	uint64_t pa;		/* physical address of the leaf page */
	uint16_t did;
	uint8_t level;		/* 1: 4 KiB, 2: 2 MiB, 3: 1 GiB */
	uint8_t perm;		/* R|W ANDed over the walk */
	uint8_t valid;
};

#define IOTLB_WAYS 4

/* A context-cache entry: the context entry a requester resolved to. */
struct ctx_ent {
	uint64_t lo, hi;
	uint16_t sid;
	uint8_t valid;
};

struct duet_vtd {
	struct duet_iommu_unit unit;	/* first: duet_vtd_unit() */
	uint8_t regs[VTD_REG_END];	/* register page storage */
	uint64_t rta;			/* root table latched by SRTP */
	unsigned int aw_bits;		/* MGAW */
	unsigned int nfr;		/* fault records */
	unsigned int next_frcd;		/* record the next fault goes to */
	struct iotlb_ent *iotlb;
	unsigned int iotlb_sets;
	unsigned int *iotlb_rr;		/* replacement rotor per set */
	struct ctx_ent *ctx;
	unsigned int nctx;
	uint64_t fault_irqs;		/* fault events signalled */
	uint64_t inv_ns;		/* cost of one invalidation */
};

static uint64_t reg_get(struct duet_vtd *v, unsigned int off,
			unsigned int size)
{
	uint64_t x = 0;

	memcpy(&x, v->regs + off, size);
	return x;
}

static void reg_set(struct duet_vtd *v, unsigned int off, uint64_t x,
		    unsigned int size)
{
	memcpy(v->regs + off, &x, size);
}

static unsigned int shift_of(unsigned int level)
{
	return 12 + 9 * (level - 1);
}

static unsigned int iotlb_set(struct duet_vtd *v, uint16_t did,
			      uint64_t tag, unsigned int level)
{
	uint64_t h = (tag * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)did << 7) ^
		     level;

	return (unsigned int)((h ^ (h >> 29)) % v->iotlb_sets);
}

static struct iotlb_ent *iotlb_find(struct duet_vtd *v, uint16_t did,
				    uint64_t iova)
{
	unsigned int level, w;

	for (level = 1; level <= 3; level++) {
		uint64_t tag = iova >> shift_of(level);
		struct iotlb_ent *s =
			&v->iotlb[iotlb_set(v, did, tag, level) * IOTLB_WAYS];

		for (w = 0; w < IOTLB_WAYS; w++)
			if (s[w].valid && s[w].did == did &&
			    s[w].level == level && s[w].tag == tag)
				return &s[w];
	}
	return NULL;
}

static void iotlb_fill(struct duet_vtd *v, uint16_t did, uint64_t iova,
		       unsigned int level, uint64_t pa, uint8_t perm)
{
	uint64_t tag = iova >> shift_of(level);
	unsigned int set = iotlb_set(v, did, tag, level), w;
	struct iotlb_ent *s = &v->iotlb[set * IOTLB_WAYS];

	for (w = 0; w < IOTLB_WAYS && s[w].valid; w++)
		;
	if (w == IOTLB_WAYS)
		w = v->iotlb_rr[set]++ % IOTLB_WAYS;
	s[w] = (struct iotlb_ent){ tag, pa, did, (uint8_t)level, perm, 1 };
}

/* Drop entries of did (all if global) overlapping [addr, addr + len). */
static void iotlb_inv(struct duet_vtd *v, int global, uint16_t did,
		      uint64_t addr, uint64_t len)
{
	unsigned int i, n = v->iotlb_sets * IOTLB_WAYS;

	v->unit.stats.invalidations++;
	duet_iommu_spin_ns(v->inv_ns);
	if (!global && len && len <= 64 * 4096ull) {
		/* A few pages: only the sets they hash to. */
		uint64_t a;
		unsigned int l, w;

		for (a = addr; a < addr + len; a += 4096)
			for (l = 1; l <= 3; l++) {
				uint64_t tag = a >> shift_of(l);
				struct iotlb_ent *s =
					&v->iotlb[iotlb_set(v, did, tag, l) *
						  IOTLB_WAYS];

				for (w = 0; w < IOTLB_WAYS; w++)
					if (s[w].valid && s[w].did == did &&
					    s[w].level == l && s[w].tag == tag)
						s[w].valid = 0;
			}
		return;
	}
	for (i = 0; i < n; i++) {
		struct iotlb_ent *e = &v->iotlb[i];
		uint64_t lo, hi;

		if (!e->valid || (!global && e->did != did))
			continue;
		lo = e->tag << shift_of(e->level);
		hi = lo + (1ull << shift_of(e->level));
		if (len && (hi <= addr || lo >= addr + len))
			continue;
		e->valid = 0;
	}
}

static struct ctx_ent *ctx_slot(struct duet_vtd *v, uint16_t sid)
{
	return &v->ctx[(sid * 40503u >> 4) % v->nctx];
}

/* gran 1 global, 2 domain did, 3 device sid with function mask fm. */
static void ctx_inv(struct duet_vtd *v, int gran, uint16_t did, uint16_t sid,
		    unsigned int fm)
{
	uint16_t mask = (uint16_t)~((1u << fm) - 1);
	unsigned int i;

	v->unit.stats.invalidations++;
	duet_iommu_spin_ns(v->inv_ns);
	for (i = 0; i < v->nctx; i++) {
		struct ctx_ent *c = &v->ctx[i];

		if (!c->valid)
			continue;
		if (gran == VTD_INV_DOMAIN && VTD_CTX_DID(c->hi) != did)
			continue;
		if (gran == VTD_INV_DEVICE && (c->sid & mask) != (sid & mask))
			continue;
		c->valid = 0;
	}
}

/* ---- faults ---- */

static void fsts_update_ppf(struct duet_vtd *v)
{
	uint32_t fsts = (uint32_t)reg_get(v, VTD_REG_FSTS, 4);
	unsigned int i;
	int any = 0;

	for (i = 0; i < v->nfr; i++)
		any |= !!(reg_get(v, VTD_REG_FRCD + 16 * i + 8, 8) &
			  VTD_FRCD_F);
	fsts = any ? fsts | VTD_FSTS_PPF : fsts & ~VTD_FSTS_PPF;
	reg_set(v, VTD_REG_FSTS, fsts, 4);
}

static void fault_event(struct duet_vtd *v)
{
	uint32_t fectl = (uint32_t)reg_get(v, VTD_REG_FECTL, 4);

	if (fectl & VTD_FECTL_IM)
		reg_set(v, VTD_REG_FECTL, fectl | VTD_FECTL_IP, 4);
	else
		v->fault_irqs++;
}

/* Primary fault logging; returns 1 if a record was written. */
static int record_fault(struct duet_vtd *v, uint16_t sid, uint64_t iova,
			uint8_t reason, int access)
{
	uint32_t fsts = (uint32_t)reg_get(v, VTD_REG_FSTS, 4);
	unsigned int i, off;
	uint64_t hi;

	if (fsts & VTD_FSTS_PFO)
		return 0;
	for (i = 0; i < v->nfr; i++) {
		hi = reg_get(v, VTD_REG_FRCD + 16 * i + 8, 8);
		if ((hi & VTD_FRCD_F) && VTD_FRCD_SID(hi) == sid)
			return 0;	/* collapsed into the pending one */
	}
	off = VTD_REG_FRCD + 16 * v->next_frcd;
	if (reg_get(v, off + 8, 8) & VTD_FRCD_F) {
		reg_set(v, VTD_REG_FSTS, fsts | VTD_FSTS_PFO, 4);
		fault_event(v);
		return 0;
	}
	hi = VTD_FRCD_F | ((uint64_t)reason << 32) | sid;
	if (access == DUET_IOMMU_READ)
		hi |= VTD_FRCD_T;
	reg_set(v, off, iova & DUET_IOMMU_PAGE_MASK, 8);
	reg_set(v, off + 8, hi, 8);
	if (!(fsts & VTD_FSTS_PPF)) {
		fsts = (fsts & ~(0xffu << 8)) | VTD_FSTS_PPF |
		       (v->next_frcd << 8);
		reg_set(v, VTD_REG_FSTS, fsts, 4);
		fault_event(v);
	}
	v->next_frcd = (v->next_frcd + 1) % v->nfr;
	return 1;
}

/* ---- the walk ---- */

static uint64_t haw_rsvd(struct duet_vtd *v)
{
	/* Address bits from the host width up to bit 51 are reserved. */
	return ((1ull << 52) - 1) & ~((1ull << v->aw_bits) - 1);
}

static int pte_rsvd(struct duet_vtd *v, uint64_t pte, unsigned int level)
{
	uint64_t cap = reg_get(v, VTD_REG_CAP, 8);
	uint64_t r = haw_rsvd(v) | VTD_PTE_SNP;

	if (pte & VTD_PTE_PS) {
		if (level == 1 || level > 3 ||
		    !(VTD_CAP_SLLPS(cap) & (1u << (level - 2))))
			return 1;
		r |= ((1ull << shift_of(level)) - 1) & ~0xfffull;
	}
	return !!(pte & r);
}

/* Root and context entry of sid; 0 or a fault reason. */
static uint8_t walk_context(struct duet_vtd *v, uint16_t sid, uint64_t *lo,
			    uint64_t *hi)
{
	const struct duet_iommu_mem *m = &v->unit.mem;
	uint64_t rlo, rhi, ctp;
	uint64_t sagaw = VTD_CAP_SAGAW(reg_get(v, VTD_REG_CAP, 8));
	unsigned int tt, aw;

	if (duet_iommu_rd64(m, v->rta + (sid >> 8) * 16, &rlo) ||
	    duet_iommu_rd64(m, v->rta + (sid >> 8) * 16 + 8, &rhi))
		return VTD_FR_ROOT_PTR;
	if (!(rlo & VTD_ROOT_P))
		return VTD_FR_ROOT_NP;
	if ((rlo & (VTD_ROOT_RSVD_LO | haw_rsvd(v))) || rhi)
		return VTD_FR_ROOT_RSVD;
	ctp = rlo & DUET_IOMMU_PAGE_MASK;
	if (duet_iommu_rd64(m, ctp + (sid & 0xff) * 16, lo) ||
	    duet_iommu_rd64(m, ctp + (sid & 0xff) * 16 + 8, hi))
		return VTD_FR_CTX_PTR;
	if (!(*lo & VTD_CTX_P))
		return VTD_FR_CTX_NP;
	if ((*lo & (VTD_CTX_RSVD_LO | haw_rsvd(v))) ||
	    (*hi & VTD_CTX_RSVD_HI))
		return VTD_FR_CTX_RSVD;
	tt = VTD_CTX_TT(*lo);
	aw = VTD_CTX_AW(*hi);
	if (tt == VTD_CTX_TT_PT)
		return (reg_get(v, VTD_REG_ECAP, 8) & VTD_ECAP_PT) ?
			       0 : VTD_FR_CTX_INVAL;
	if (tt != VTD_CTX_TT_MULTI || aw > 4 || !(sagaw & (1u << aw)))
		return VTD_FR_CTX_INVAL;
	return 0;
}

/* Second-level walk; 0 with leaf pa/level/perm, or a fault reason. */
static uint8_t walk_sl(struct duet_vtd *v, uint64_t ctx_lo, uint64_t ctx_hi,
		       uint64_t iova, int access, uint64_t *pa,
		       unsigned int *leaf_level, uint8_t *perm)
{
	unsigned int level = VTD_AW_LEVELS(VTD_CTX_AW(ctx_hi));
	uint64_t table = ctx_lo & DUET_IOMMU_PAGE_MASK, pte;
	uint8_t p = VTD_PTE_R | VTD_PTE_W;
	uint64_t need = access == DUET_IOMMU_WRITE ? VTD_PTE_W : VTD_PTE_R;

	if (iova >> VTD_AW_WIDTH(VTD_CTX_AW(ctx_hi)))
		return VTD_FR_BEYOND_MGAW;
	for (;; level--) {
		uint64_t idx = (iova >> shift_of(level)) & 511;

		if (duet_iommu_rd64(&v->unit.mem, table + idx * 8, &pte))
			return VTD_FR_PT_PTR;
		p &= (uint8_t)(pte & 3);
		if (!(pte & need))
			return access == DUET_IOMMU_WRITE ? VTD_FR_WRITE :
							    VTD_FR_READ;
		if (pte_rsvd(v, pte, level))
			return VTD_FR_PTE_RSVD;
		if (level == 1 || (pte & VTD_PTE_PS))
			break;
		table = VTD_PTE_ADDR(pte);
	}
	*pa = VTD_PTE_ADDR(pte) & ~((1ull << shift_of(level)) - 1);
	*leaf_level = level;
	*perm = p;
	return 0;
}

int duet_vtd_walk(struct duet_vtd *v, uint16_t sid, uint64_t iova,
		  int access, uint64_t *pa, uint8_t *reason)
{
	uint64_t lo, hi, base;
	unsigned int level;
	uint8_t perm, r;

	pthread_mutex_lock(&v->unit.lock);
	if (!(reg_get(v, VTD_REG_GSTS, 4) & VTD_GCMD_TE)) {
		*pa = iova;
		r = 0;
		goto out;
	}
	r = walk_context(v, sid, &lo, &hi);
	if (r)
		goto out;
	if (VTD_CTX_TT(lo) == VTD_CTX_TT_PT) {
		*pa = iova;
		goto out;
	}
	r = walk_sl(v, lo, hi, iova, access, &base, &level, &perm);
	if (!r)
		*pa = base + (iova & ((1ull << shift_of(level)) - 1));
out:
	pthread_mutex_unlock(&v->unit.lock);
	*reason = r;
	return r ? -EFAULT : 0;
}

static int fault(struct duet_vtd *v, uint16_t sid, uint64_t iova, int access,
		 uint8_t reason, int fpd, struct duet_iommu_fault *f)
{
	f->iova = iova;
	f->source_id = sid;
	f->reason = reason;
	f->access = (uint8_t)access;
	f->recorded = fpd ? 0 : (uint8_t)record_fault(v, sid, iova, reason,
						       access);
	v->unit.stats.faults++;
	if (!f->recorded)
		v->unit.stats.faults_dropped++;
	return -EFAULT;
}

static int vtd_translate(struct duet_iommu_unit *u, uint16_t sid,
			 uint64_t iova, size_t len, int access, uint64_t *pa,
			 struct duet_iommu_fault *f)
{
	struct duet_vtd *v = (struct duet_vtd *)u;
	uint8_t need = access == DUET_IOMMU_WRITE ? VTD_PTE_W : VTD_PTE_R;
	struct ctx_ent *c;
	struct iotlb_ent *e;
	uint64_t lo, hi, base, size;
	unsigned int level;
	uint8_t perm, r;
	int rc;

	pthread_mutex_lock(&u->lock);
	u->stats.translations++;
	if (!(reg_get(v, VTD_REG_GSTS, 4) & VTD_GCMD_TE)) {
		*pa = iova;
		rc = (int)(len > 1u << 30 ? 1u << 30 : len);
		goto out;
	}
	c = ctx_slot(v, sid);
	if (c->valid && c->sid == sid) {
		lo = c->lo;
		hi = c->hi;
	} else {
		r = walk_context(v, sid, &lo, &hi);
		if (r) {
			rc = fault(v, sid, iova, access, r, 0, f);
			goto out;
		}
		*c = (struct ctx_ent){ lo, hi, sid, 1 };
	}
	if (VTD_CTX_TT(lo) == VTD_CTX_TT_PT) {
		*pa = iova;
		rc = (int)(len > 1u << 30 ? 1u << 30 : len);
		goto out;
	}
	e = iotlb_find(v, (uint16_t)VTD_CTX_DID(hi), iova);
	if (e) {
		u->stats.tlb_hits++;
		if (!(e->perm & need)) {
			rc = fault(v, sid, iova, access,
				   access == DUET_IOMMU_WRITE ? VTD_FR_WRITE :
								VTD_FR_READ,
				   !!(lo & VTD_CTX_FPD), f);
			goto out;
		}
		base = e->pa;
		level = e->level;
	} else {
		u->stats.walks++;
		r = walk_sl(v, lo, hi, iova, access, &base, &level, &perm);
		if (r) {
			rc = fault(v, sid, iova, access, r,
				   !!(lo & VTD_CTX_FPD), f);
			goto out;
		}
		iotlb_fill(v, (uint16_t)VTD_CTX_DID(hi), iova, level, base,
			   perm);
	}
	size = 1ull << shift_of(level);
	*pa = base + (iova & (size - 1));
	size -= iova & (size - 1);
	rc = (int)(len < size ? len : size);
out:
	pthread_mutex_unlock(&u->lock);
	return rc;
}

static const struct duet_iommu_unit_ops vtd_ops = {
	.name = "vtd",
	.translate = vtd_translate,
};

/* ---- invalidation ---- */

/* 1 on success, 0 if refused (IAIG 0 / IQE). */
static int do_iotlb_inv(struct duet_vtd *v, unsigned int g, uint16_t did,
			uint64_t addrw)
{
	uint64_t cap = reg_get(v, VTD_REG_CAP, 8);
	unsigned int am = VTD_IVA_AM(addrw);
	uint64_t addr;

	switch (g) {
	case VTD_INV_GLOBAL:
		iotlb_inv(v, 1, 0, 0, 0);
		return 1;
	case VTD_INV_DOMAIN:
		iotlb_inv(v, 0, did, 0, 0);
		return 1;
	case VTD_INV_PAGE:
		if (!(cap & VTD_CAP_PSI) || am > VTD_CAP_MAMV(cap))
			return 0;
		/* Address bits below the mask are ignored. */
		addr = addrw & DUET_IOMMU_PAGE_MASK & ~((4096ull << am) - 1);
		iotlb_inv(v, 0, did, addr, 4096ull << am);
		return 1;
	}
	return 0;
}

static void ccmd_write(struct duet_vtd *v, uint64_t val)
{
	unsigned int g = (unsigned int)VTD_CCMD_CIRG_GET(val);

	if (!(val & VTD_CCMD_ICC))
		return;
	val &= ~(VTD_CCMD_ICC | VTD_CCMD_CAIG(3));
	/* Register invalidation is not available while QI is on. */
	if (g && !(reg_get(v, VTD_REG_GSTS, 4) & VTD_GCMD_QIE)) {
		ctx_inv(v, (int)g, (uint16_t)VTD_CCMD_DID(val),
			(uint16_t)VTD_CCMD_SID(val),
			(unsigned int)VTD_CCMD_FM(val));
		val |= VTD_CCMD_CAIG(g);
	}
	reg_set(v, VTD_REG_CCMD, val, 8);
}

static void iotlb_write(struct duet_vtd *v, uint64_t val)
{
	unsigned int g = (unsigned int)VTD_IOTLB_IIRG_GET(val);

	if (!(val & VTD_IOTLB_IVT))
		return;
	val &= ~(VTD_IOTLB_IVT | VTD_IOTLB_IAIG(3));
	if (!(reg_get(v, VTD_REG_GSTS, 4) & VTD_GCMD_QIE) &&
	    do_iotlb_inv(v, g, (uint16_t)VTD_IOTLB_DID_GET(val),
			 reg_get(v, VTD_REG_IVA, 8)))
		val |= VTD_IOTLB_IAIG(g);
	reg_set(v, VTD_REG_IOTLB, val, 8);
}

/* Run the invalidation queue from IQH to IQT. */
static void qi_run(struct duet_vtd *v)
{
	uint64_t iqa = reg_get(v, VTD_REG_IQA, 8);
	uint64_t n = 256ull << VTD_IQA_QS(iqa);
	uint64_t head = reg_get(v, VTD_REG_IQH, 8) >> 4;
	uint64_t tail = reg_get(v, VTD_REG_IQT, 8) >> 4;
	uint32_t fsts = (uint32_t)reg_get(v, VTD_REG_FSTS, 4);
	int ok = 1;

	if (!(reg_get(v, VTD_REG_GSTS, 4) & VTD_GCMD_QIE) ||
	    (fsts & VTD_FSTS_IQE))
		return;
	if ((iqa & VTD_IQA_DW) || tail >= n)
		ok = 0;
	while (ok && head != tail) {
		uint64_t q0, q1, at = VTD_IQA_BASE(iqa) + head * 16;

		if (duet_iommu_rd64(&v->unit.mem, at, &q0) ||
		    duet_iommu_rd64(&v->unit.mem, at + 8, &q1)) {
			ok = 0;
			break;
		}
		switch (VTD_QI_TYPE(q0)) {
		case VTD_QI_CC:
			if (!VTD_QI_G(q0)) {
				ok = 0;
				break;
			}
			ctx_inv(v, (int)VTD_QI_G(q0),
				(uint16_t)VTD_QI_DID(q0),
				(uint16_t)VTD_QI_SID(q0),
				(unsigned int)VTD_QI_FM(q0));
			break;
		case VTD_QI_IOTLB:
			ok = do_iotlb_inv(v, (unsigned int)VTD_QI_G(q0),
					  (uint16_t)VTD_QI_DID(q0), q1);
			break;
		case VTD_QI_WAIT:
			if ((q0 & VTD_QI_WAIT_SW) &&
			    duet_iommu_wr32(&v->unit.mem, q1 & ~3ull,
					    (uint32_t)(q0 >> 32))) {
				ok = 0;
				break;
			}
			if (q0 & VTD_QI_WAIT_IF)
				reg_set(v, VTD_REG_ICS,
					reg_get(v, VTD_REG_ICS, 4) |
						VTD_ICS_IWC, 4);
			break;
		case VTD_QI_DEVTLB:
		case VTD_QI_IEC:
			break;	/* no ATS, no interrupt remapping: no-op */
		default:
			ok = 0;
		}
		if (ok)
			head = (head + 1) % n;
	}
	reg_set(v, VTD_REG_IQH, head << 4, 8);
	if (!ok)
		reg_set(v, VTD_REG_FSTS, fsts | VTD_FSTS_IQE, 4);
}

static void gcmd_write(struct duet_vtd *v, uint32_t cmd)
{
	uint32_t sts = (uint32_t)reg_get(v, VTD_REG_GSTS, 4);
	uint32_t keep = VTD_GCMD_TE | VTD_GCMD_QIE | VTD_GCMD_IRE;

	/* The written value is the whole desired state (as QEMU). */
	if (cmd & VTD_GCMD_SRTP) {
		v->rta = reg_get(v, VTD_REG_RTADDR, 8) & DUET_IOMMU_PAGE_MASK;
		sts |= VTD_GCMD_SRTP;	/* RTPS */
	}
	if ((cmd & VTD_GCMD_QIE) && !(sts & VTD_GCMD_QIE))
		reg_set(v, VTD_REG_IQH, 0, 8);
	sts = (sts & ~keep) | (cmd & (VTD_GCMD_TE | VTD_GCMD_QIE));
	reg_set(v, VTD_REG_GSTS, sts, 4);
}

uint64_t duet_vtd_read(struct duet_vtd *v, unsigned int off,
		       unsigned int size)
{
	uint64_t x;

	if ((size != 4 && size != 8) || off % size || off + size > VTD_REG_END)
		return 0;
	pthread_mutex_lock(&v->unit.lock);
	x = reg_get(v, off, size);
	pthread_mutex_unlock(&v->unit.lock);
	return x;
}

/* True if the write [off, off + size) touches the dword at reg + 4. */
static int hits_hi(unsigned int off, unsigned int size, unsigned int reg)
{
	return off <= reg + 4 && off + size > reg + 4;
}

static void write_locked(struct duet_vtd *v, unsigned int off, uint64_t val,
			 unsigned int size)
{
	unsigned int frcd_end = VTD_REG_FRCD + 16 * v->nfr;
	uint64_t old;

	if (off >= VTD_REG_FRCD && off < frcd_end) {
		/* Only F (bit 127) is writable: write 1 to clear. */
		unsigned int rec = VTD_REG_FRCD +
				   (off - VTD_REG_FRCD) / 16 * 16;

		if (hits_hi(off, size, rec + 8)) {
			uint64_t hiw = size == 8 ? val : val << 32;

			if (hiw & VTD_FRCD_F) {
				old = reg_get(v, rec + 8, 8);
				reg_set(v, rec + 8, old & ~VTD_FRCD_F, 8);
				fsts_update_ppf(v);
			}
		}
		return;
	}
	switch (off) {
	case VTD_REG_GCMD:
		if (size == 4)
			gcmd_write(v, (uint32_t)val);
		return;
	case VTD_REG_FSTS:
		old = reg_get(v, VTD_REG_FSTS, 4);
		old &= ~(val & (VTD_FSTS_PFO | VTD_FSTS_IQE | VTD_FSTS_ICE |
				VTD_FSTS_ITE));
		reg_set(v, VTD_REG_FSTS, old, 4);
		return;
	case VTD_REG_FECTL:
		old = reg_get(v, VTD_REG_FECTL, 4);
		if ((old & VTD_FECTL_IP) && !(val & VTD_FECTL_IM)) {
			v->fault_irqs++;
			old &= ~VTD_FECTL_IP;
		}
		reg_set(v, VTD_REG_FECTL,
			(old & VTD_FECTL_IP) | (val & VTD_FECTL_IM), 4);
		return;
	case VTD_REG_ICS:
		old = reg_get(v, VTD_REG_ICS, 4);
		reg_set(v, VTD_REG_ICS, old & ~(val & VTD_ICS_IWC), 4);
		return;
	case VTD_REG_FEDATA:
	case VTD_REG_FEADDR:
	case VTD_REG_FEUADDR:
	case VTD_REG_IECTL:
		reg_set(v, off, val, size);
		return;
	}
	/* 64-bit registers, written whole or by halves. */
	if (off >= VTD_REG_RTADDR && off + size <= VTD_REG_RTADDR + 8) {
		reg_set(v, off, val, size);
	} else if (off >= VTD_REG_CCMD && off + size <= VTD_REG_CCMD + 8) {
		reg_set(v, off, val, size);
		if (hits_hi(off, size, VTD_REG_CCMD))
			ccmd_write(v, reg_get(v, VTD_REG_CCMD, 8));
	} else if (off >= VTD_REG_IQT && off + size <= VTD_REG_IQT + 8) {
		reg_set(v, off, val & 0x7fff0, size);
		qi_run(v);
	} else if (off >= VTD_REG_IQA && off + size <= VTD_REG_IQA + 8) {
		reg_set(v, off, val, size);
	} else if (off >= VTD_REG_IVA && off + size <= VTD_REG_IVA + 8) {
		reg_set(v, off, val, size);
	} else if (off >= VTD_REG_IOTLB && off + size <= VTD_REG_IOTLB + 8) {
		reg_set(v, off, val, size);
		if (hits_hi(off, size, VTD_REG_IOTLB))
			iotlb_write(v, reg_get(v, VTD_REG_IOTLB, 8));
	}
	/* Anything else is read-only or unimplemented: ignored. */
}

void duet_vtd_write(struct duet_vtd *v, unsigned int off, uint64_t val,
		    unsigned int size)
{
	if ((size != 4 && size != 8) || off % size || off + size > VTD_REG_END)
		return;
	pthread_mutex_lock(&v->unit.lock);
	write_locked(v, off, val, size);
	pthread_mutex_unlock(&v->unit.lock);
}

static uint64_t hw_read(void *opaque, unsigned int off, unsigned int size)
{
	return duet_vtd_read(opaque, off, size);
}

static void hw_write(void *opaque, unsigned int off, uint64_t val,
		     unsigned int size)
{
	duet_vtd_write(opaque, off, val, size);
}

void duet_vtd_hwif_model(struct duet_vtd *v, struct duet_vtd_hwif *hw)
{
	hw->read = hw_read;
	hw->write = hw_write;
	hw->opaque = v;
}

/* ---- life cycle ---- */

int duet_vtd_create(const struct duet_vtd_config *cfg,
		    const struct duet_iommu_mem *mem, struct duet_vtd **out)
{
	unsigned int nfr = cfg->nfr ? cfg->nfr : 1;
	unsigned int nio = cfg->iotlb_entries ? cfg->iotlb_entries : 1024;
	struct duet_vtd *v;
	uint64_t cap, sagaw;

	*out = NULL;
	if ((cfg->aw_bits != 39 && cfg->aw_bits != 48) || nfr > 256 ||
	    nio < IOTLB_WAYS)
		return -EINVAL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->aw_bits = cfg->aw_bits;
	v->nfr = nfr;
	v->iotlb_sets = nio / IOTLB_WAYS;
	v->nctx = cfg->ctx_entries ? cfg->ctx_entries : 256;
	v->iotlb = calloc(v->iotlb_sets * IOTLB_WAYS, sizeof(*v->iotlb));
	v->iotlb_rr = calloc(v->iotlb_sets, sizeof(*v->iotlb_rr));
	v->ctx = calloc(v->nctx, sizeof(*v->ctx));
	if (!v->iotlb || !v->iotlb_rr || !v->ctx) {
		duet_vtd_destroy(v);
		return -ENOMEM;
	}
	duet_iommu_unit_init(&v->unit, &vtd_ops, mem);
	sagaw = cfg->aw_bits == 48 ? 0x6 : 0x2;
	cap = 6 | (sagaw << 8) | ((uint64_t)(cfg->aw_bits - 1) << 16) |
	      ((uint64_t)(VTD_REG_FRCD / 16) << 24) | (3ull << 34) |
	      VTD_CAP_PSI | ((uint64_t)(nfr - 1) << 40) | (18ull << 48) |
	      VTD_CAP_DWD | VTD_CAP_DRD;
	reg_set(v, VTD_REG_VER, 0x10, 4);
	reg_set(v, VTD_REG_CAP, cap, 8);
	reg_set(v, VTD_REG_ECAP,
		VTD_ECAP_QI | VTD_ECAP_PT | ((uint64_t)(VTD_REG_IVA / 16) << 8),
		8);
	*out = v;
	return 0;
}

void duet_vtd_destroy(struct duet_vtd *v)
{
	if (!v)
		return;
	duet_iommu_unit_fini(&v->unit);
	free(v->iotlb);
	free(v->iotlb_rr);
	free(v->ctx);
	free(v);
}

struct duet_iommu_unit *duet_vtd_unit(struct duet_vtd *v)
{
	return &v->unit;
}

void duet_vtd_set_inv_cost(struct duet_vtd *v, uint64_t ns)
{
	pthread_mutex_lock(&v->unit.lock);
	v->inv_ns = ns;
	pthread_mutex_unlock(&v->unit.lock);
}

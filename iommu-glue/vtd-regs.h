/* SPDX-License-Identifier: MIT */
/*
 * vtd-regs.h - Intel VT-d (legacy, non-scalable mode) encodings: the
 * remapping unit's register page and the in-memory structures, as the
 * hardware defines them.  Both sides use these: vtd.c (the unit) and
 * vtd-drv.c (the driver), and the QEMU check, where the same driver code
 * programs QEMU's intel-iommu.  Bit positions agree with Linux's
 * intel/iommu.h and QEMU's intel_iommu_internal.h.
 */
#ifndef DUET_IOMMU_GLUE_VTD_REGS_H
#define DUET_IOMMU_GLUE_VTD_REGS_H

/*
 * Register page (4 KiB, little-endian; 64-bit registers may be accessed
 * as two 32-bit halves).  Offset, width, meaning:
 */
#define VTD_REG_VER	0x00	/* 32  version: 0x10 = 1.0 */
#define VTD_REG_CAP	0x08	/* 64  capabilities, VTD_CAP_* */
#define VTD_REG_ECAP	0x10	/* 64  extended capabilities, VTD_ECAP_* */
#define VTD_REG_GCMD	0x18	/* 32  global command (write: whole state) */
#define VTD_REG_GSTS	0x1c	/* 32  global status, same bits as GCMD */
#define VTD_REG_RTADDR	0x20	/* 64  root table address, 4 KiB aligned */
#define VTD_REG_CCMD	0x28	/* 64  context command, VTD_CCMD_* */
#define VTD_REG_FSTS	0x34	/* 32  fault status, VTD_FSTS_* */
#define VTD_REG_FECTL	0x38	/* 32  fault event control: IM 31, IP 30 */
#define VTD_REG_FEDATA	0x3c	/* 32  fault event MSI data */
#define VTD_REG_FEADDR	0x40	/* 32  fault event MSI address */
#define VTD_REG_FEUADDR	0x44	/* 32  fault event MSI upper address */
#define VTD_REG_IQH	0x80	/* 64  invalidation queue head: idx << 4 */
#define VTD_REG_IQT	0x88	/* 64  invalidation queue tail: idx << 4 */
#define VTD_REG_IQA	0x90	/* 64  queue base | DW 11 | QS 2:0 */
#define VTD_REG_ICS	0x9c	/* 32  invalidation completion: IWC 0 */
#define VTD_REG_IECTL	0xa0	/* 32  invalidation event ctl: IM 31 */
#define VTD_REG_IVA	0xf0	/* 64  IOTLB: address | IH 6 | AM 5:0 */
#define VTD_REG_IOTLB	0xf8	/* 64  IOTLB command, VTD_IOTLB_* */
#define VTD_REG_FRCD	0x220	/* 128 each: fault recording registers */
#define VTD_REG_END	0x1000

/*
 * CAP: ND 2:0 (domains 2^(4+2ND)), RWBF 4, SAGAW 12:8 (bit 1 = 39-bit
 * 3-level, bit 2 = 48-bit 4-level), MGAW 21:16 (width - 1), FRO 33:24
 * (FRCD offset / 16), SLLPS 37:34 (bit 0 = 2 MiB, bit 1 = 1 GiB), PSI 39,
 * NFR 47:40 (records - 1), MAMV 53:48 (max IOTLB address mask), DWD 54,
 * DRD 55.
 */
#define VTD_CAP_ND(c)		((c) & 7)
#define VTD_CAP_SAGAW(c)	(((c) >> 8) & 0x1f)
#define VTD_CAP_MGAW(c)		((((c) >> 16) & 0x3f) + 1)
#define VTD_CAP_FRO(c)		((((c) >> 24) & 0x3ff) * 16)
#define VTD_CAP_SLLPS(c)	(((c) >> 34) & 0xf)
#define VTD_CAP_PSI		(1ull << 39)
#define VTD_CAP_NFR(c)		((((c) >> 40) & 0xff) + 1)
#define VTD_CAP_MAMV(c)		(((c) >> 48) & 0x3f)
#define VTD_CAP_DWD		(1ull << 54)
#define VTD_CAP_DRD		(1ull << 55)

/* ECAP: QI 1, PT 6 (pass-through), IRO 17:8 (IVA offset / 16). */
#define VTD_ECAP_QI		(1ull << 1)
#define VTD_ECAP_PT		(1ull << 6)
#define VTD_ECAP_IRO(e)		((((e) >> 8) & 0x3ff) * 16)

/* GCMD / GSTS bits (GSTS reports the state GCMD last asked for). */
#define VTD_GCMD_TE	(1u << 31)	/* translation enable */
#define VTD_GCMD_SRTP	(1u << 30)	/* latch RTADDR (GSTS: RTPS) */
#define VTD_GCMD_WBF	(1u << 27)	/* write-buffer flush */
#define VTD_GCMD_QIE	(1u << 26)	/* queued invalidation enable */
#define VTD_GCMD_IRE	(1u << 25)	/* interrupt remapping (unused) */
#define VTD_GCMD_ONESHOT (VTD_GCMD_SRTP | VTD_GCMD_WBF | (1u << 24) | \
			  (1u << 29))

/*
 * CCMD: ICC 63 (set to start, hardware clears when done), CIRG 62:61
 * (requested granularity: 1 global, 2 domain, 3 device), CAIG 60:59
 * (granularity performed), FM 33:32 (function mask: ignore the low FM
 * bits of devfn), SID 31:16, DID 15:0.
 */
#define VTD_CCMD_ICC		(1ull << 63)
#define VTD_CCMD_CIRG(g)	((uint64_t)(g) << 61)
#define VTD_CCMD_CIRG_GET(c)	(((c) >> 61) & 3)
#define VTD_CCMD_CAIG(g)	((uint64_t)(g) << 59)
#define VTD_CCMD_FM(c)		(((c) >> 32) & 3)
#define VTD_CCMD_SID(c)		(((c) >> 16) & 0xffff)
#define VTD_CCMD_DID(c)		((c) & 0xffff)
#define VTD_INV_GLOBAL		1
#define VTD_INV_DOMAIN		2
#define VTD_INV_DEVICE		3	/* context cache */
#define VTD_INV_PAGE		3	/* IOTLB */

/*
 * IOTLB register: IVT 63 (set to start, cleared when done), IIRG 61:60
 * (1 global, 2 domain, 3 page-selective using IVA), IAIG 58:57
 * (performed; 0 = request refused), DR 49, DW 48 (drain), DID 47:32.
 * IVA: page address 63:12, IH 6 (leaf only), AM 5:0 (2^AM pages,
 * naturally aligned; address bits below the mask are ignored).
 */
#define VTD_IOTLB_IVT		(1ull << 63)
#define VTD_IOTLB_IIRG(g)	((uint64_t)(g) << 60)
#define VTD_IOTLB_IIRG_GET(c)	(((c) >> 60) & 3)
#define VTD_IOTLB_IAIG(g)	((uint64_t)(g) << 57)
#define VTD_IOTLB_IAIG_GET(c)	(((c) >> 57) & 3)
#define VTD_IOTLB_DR		(1ull << 49)
#define VTD_IOTLB_DW		(1ull << 48)
#define VTD_IOTLB_DID(d)	((uint64_t)(d) << 32)
#define VTD_IOTLB_DID_GET(c)	(((c) >> 32) & 0xffff)
#define VTD_IVA_AM(v)		((v) & 0x3f)
#define VTD_IVA_IH		(1ull << 6)

/*
 * FSTS: PFO 0 (primary fault overflow, RW1C), PPF 1 (some FRCD.F set,
 * read-only), IQE 4, ICE 5, ITE 6 (queue errors, RW1C), FRI 15:8 (index
 * of the record the next fault goes to).
 */
#define VTD_FSTS_PFO		(1u << 0)
#define VTD_FSTS_PPF		(1u << 1)
#define VTD_FSTS_IQE		(1u << 4)
#define VTD_FSTS_ICE		(1u << 5)
#define VTD_FSTS_ITE		(1u << 6)
#define VTD_FSTS_FRI(f)		(((f) >> 8) & 0xff)
#define VTD_FECTL_IM		(1u << 31)
#define VTD_FECTL_IP		(1u << 30)
#define VTD_ICS_IWC		(1u << 0)

/*
 * Fault recording register, 128 bits: low qword = faulting page address
 * (63:12); high qword: SID 15:0, PP 31 (PASID present), FR 39:32 (reason
 * below), PASID 59:40, AT 61:60, T 62 (1 = read, 0 = write), F 63 (fault
 * recorded; write 1 to clear).
 */
#define VTD_FRCD_SID(h)		((h) & 0xffff)
#define VTD_FRCD_FR(h)		(((h) >> 32) & 0xff)
#define VTD_FRCD_PASID_MASK	(0xfffffull << 40)
#define VTD_FRCD_T		(1ull << 62)
#define VTD_FRCD_F		(1ull << 63)

/* Fault reasons (FRCD.FR) of legacy-mode DMA remapping. */
#define VTD_FR_ROOT_NP		0x1	/* root entry present bit clear */
#define VTD_FR_CTX_NP		0x2	/* context entry present bit clear */
#define VTD_FR_CTX_INVAL	0x3	/* invalid context (AW, TT) */
#define VTD_FR_BEYOND_MGAW	0x4	/* address beyond the width */
#define VTD_FR_WRITE		0x5	/* PTE write permission clear */
#define VTD_FR_READ		0x6	/* PTE read permission clear */
#define VTD_FR_PT_PTR		0x7	/* next table pointer unreadable */
#define VTD_FR_ROOT_PTR		0x8	/* root table address unreadable */
#define VTD_FR_CTX_PTR		0x9	/* context table pointer unreadable */
#define VTD_FR_ROOT_RSVD	0xa	/* reserved bits set in root entry */
#define VTD_FR_CTX_RSVD		0xb	/* reserved bits set in context */
#define VTD_FR_PTE_RSVD		0xc	/* reserved bits set in a PTE */

/*
 * Root entry (16 bytes, 256 per 4 KiB table, indexed by bus): lo: P 0,
 * context-table pointer 63:12; bits 11:1 and the hi qword reserved.
 */
#define VTD_ROOT_P		1ull
#define VTD_ROOT_RSVD_LO	0xffeull

/*
 * Context entry (16 bytes, 256 per table, indexed by devfn): lo: P 0,
 * FPD 1 (fault processing disable), TT 3:2 (0 translate, 1 also ATS,
 * 2 pass-through), second-level table pointer (ASR) 63:12, 11:4 reserved;
 * hi: AW 2:0 (1 = 39-bit 3-level, 2 = 48-bit 4-level), AVAIL 6:3, DID
 * 23:8, 7 and 63:24 reserved.
 */
#define VTD_CTX_P		1ull
#define VTD_CTX_FPD		(1ull << 1)
#define VTD_CTX_TT(lo)		(((lo) >> 2) & 3)
#define VTD_CTX_TT_MULTI	0
#define VTD_CTX_TT_PT		2
#define VTD_CTX_RSVD_LO		0xff0ull
#define VTD_CTX_AW(hi)		((hi) & 7)
#define VTD_CTX_DID(hi)		(((hi) >> 8) & 0xffff)
#define VTD_CTX_RSVD_HI		(~0xffffffull | 0x80ull)
#define VTD_CTX_HI(did, aw)	(((uint64_t)(did) << 8) | (aw))

/*
 * Second-level paging entry (8 bytes, 512 per table, 9 address bits per
 * level, level 1 maps 4 KiB): R 0, W 1, PS 7 (superpage: at level 2 a
 * 2 MiB page, at level 3 a 1 GiB page), SNP 11 (reserved: no snoop
 * control), address 51:12 (bits above the host address width reserved),
 * 62 and 52:61 ignored (software available).  An entry with neither R
 * nor W is not present.  A superpage's address bits below its size are
 * reserved.  Permissions of all levels are ANDed.
 */
#define VTD_PTE_R		1ull
#define VTD_PTE_W		2ull
#define VTD_PTE_PS		(1ull << 7)
#define VTD_PTE_SNP		(1ull << 11)
#define VTD_PTE_IGN		0xbff0000000000000ull
#define VTD_PTE_ADDR(e)		((e) & 0x000ffffffffff000ull)

/* AW code -> levels and width: 1 -> 3 / 39 bits, 2 -> 4 / 48 bits. */
#define VTD_AW_LEVELS(aw)	((aw) + 2)
#define VTD_AW_WIDTH(aw)	(30 + 9 * (aw))

/*
 * Queued invalidation descriptor (128 bits): qw0 bits 3:0 type.
 * Context (1): G 5:4, DID 31:16, SID 47:32, FM 49:48.
 * IOTLB (2): G 5:4 (1 global, 2 domain, 3 page), DW 6, DR 7, DID 31:16;
 *   qw1 = address | IH 6 | AM 5:0.
 * Wait (5): IF 4 (interrupt: set ICS.IWC), SW 5 (status write of the
 *   data in 63:32 to the address in qw1 63:2), FN 6 (fence).
 */
#define VTD_QI_CC		1
#define VTD_QI_IOTLB		2
#define VTD_QI_DEVTLB		3
#define VTD_QI_IEC		4
#define VTD_QI_WAIT		5
#define VTD_QI_TYPE(q0)		((q0) & 0xf)
#define VTD_QI_G(q0)		(((q0) >> 4) & 3)
#define VTD_QI_DID(q0)		(((q0) >> 16) & 0xffff)
#define VTD_QI_SID(q0)		(((q0) >> 32) & 0xffff)
#define VTD_QI_FM(q0)		(((q0) >> 48) & 3)
#define VTD_QI_WAIT_IF		(1ull << 4)
#define VTD_QI_WAIT_SW		(1ull << 5)
#define VTD_QI_WAIT_FN		(1ull << 6)
#define VTD_QI_WAIT_DATA(d)	((uint64_t)(d) << 32)
#define VTD_IQA_QS(a)		((a) & 7)	/* 256 << QS entries */
#define VTD_IQA_DW		(1ull << 11)	/* 256-bit descriptors */
#define VTD_IQA_BASE(a)		((a) & ~0xfffull)

#endif /* DUET_IOMMU_GLUE_VTD_REGS_H */

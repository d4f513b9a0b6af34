/* SPDX-License-Identifier: MIT */
/*
 * p2m-dom0.c - matrix entry m: the DMA layer's platform hook on real Xen,
 * in the PV dom0, as root.
 *   1. duet_platform_frames() on 4 pages of a buffer: each pfn is the one
 *      /proc/self/pagemap shows, and Xen's M2P (mapped here with
 *      libxenguest's xc_map_m2p(), not libduet's code) maps each mfn back
 *      to its pfn; the frames are printed;
 *   2. errors: an address that is not page aligned (-EINVAL), an
 *      unmapped page and a PROT_NONE page (-EFAULT), and the same call in
 *      a child that dropped root (-EPERM, with its message);
 *   3. duet_platform_contig() on a 2-page buffer: whether Xen gave
 *      adjacent frames is printed, not asserted;
 *   4. machine-contiguous allocation is -EOPNOTSUPP (no userspace
 *      interface), and so is the DMA layer's bounce pool on a machine
 *      bound to the platform, whose translations are the real frames.
 * TAP on stdout; exit 0 only when every check passed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenguest.h>

#include <duet/dma.h>
#include <duet/platform.h>

#include "tap.h"

#define PG 4096u

static uint64_t pagemap_pfn(const void *va)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, sizeof(e), (off_t)((uintptr_t)va / PG * 8)) !=
	    (ssize_t)sizeof(e))
		e = 0;
	close(fd);
	return (e >> 63) ? e & ((1ull << 55) - 1) : 0;
}

/* The translation as an unprivileged user: the child's exit status is
 * the -errno. */
static int unprivileged_rc(void *buf)
{
	struct duet_platform *q;
	uint64_t mfn;
	pid_t pid = fork();
	int st, rc;

	if (pid == 0) {
		/* Dumpable again, as a process started unprivileged is:
		 * otherwise its /proc/self stays root's. */
		if (setgid(65534) < 0 || setuid(65534) < 0 ||
		    prctl(PR_SET_DUMPABLE, 1) < 0)
			_exit(200);
		rc = duet_platform_open("xen", &q);
		if (rc == 0)
			rc = duet_platform_frames(q, buf, 1, &mfn, NULL);
		_exit(rc < 0 ? -rc : 0);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return 1000;
	return -WEXITSTATUS(st);
}

int main(void)
{
	struct duet_platform *p = NULL;
	struct duet_dma_mem *mem = NULL;
	struct duet_dma_domain *d = NULL;
	uint64_t mfns[4], pfns[4], m2[2], maddr;
	unsigned long max_page = 0;
	xen_pfn_t *m2p = NULL;
	xc_interface *xch;
	unsigned char *buf, *two, *hole, *none, *x;
	duet_domid_t owner;
	void *tmp;
	unsigned i;
	int rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = duet_platform_open("xen", &p);
	if (!ok(rc == 0, "duet_platform_open(\"xen\") in dom0 (rc %d)", rc))
		return done_testing();

	/* 1. translate */
	buf = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(buf, 0x5a, 4 * PG);
	rc = duet_platform_frames(p, buf, 4, mfns, pfns);
	is_int(rc, 0, "duet_platform_frames() on 4 pages of a buffer");
	xch = xc_interface_open(NULL, NULL, 0);
	if (xch && xc_maximum_ram_page(xch, &max_page) == 0)
		m2p = xc_map_m2p(xch, max_page, PROT_READ, NULL);
	ok(m2p != NULL, "the M2P mapped for the check (%#lx frames)",
	   max_page);
	for (i = 0; rc == 0 && i < 4; i++) {
		diag("page %u: va %p pfn %#" PRIx64 " mfn %#" PRIx64, i,
		     (void *)(buf + i * PG), pfns[i], mfns[i]);
		is_int(pagemap_pfn(buf + i * PG), pfns[i],
		       "page %u: pfn as /proc/self/pagemap shows it", i);
		ok(mfns[i] < max_page && m2p && m2p[mfns[i]] == pfns[i],
		   "page %u: m2p[%#" PRIx64 "] = %#" PRIx64, i, mfns[i],
		   m2p && mfns[i] < max_page ? (uint64_t)m2p[mfns[i]] : 0);
	}

	/* 2. errors */
	is_int(duet_platform_frames(p, buf + 100, 1, mfns, NULL), -EINVAL,
	       "an address that is not page aligned: -EINVAL");
	hole = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(hole, PG);
	is_int(duet_platform_frames(p, hole, 1, mfns, NULL), -EFAULT,
	       "an unmapped page: -EFAULT");
	none = mmap(NULL, PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	is_int(duet_platform_frames(p, none, 1, mfns, NULL), -EFAULT,
	       "a PROT_NONE page: -EFAULT");
	is_int(unprivileged_rc(buf), -EPERM,
	       "the same as an unprivileged user: -EPERM");

	/* 3. contiguity of a 2-page buffer (reported, not asserted) */
	two = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(two, 1, 2 * PG);
	rc = duet_platform_contig(p, two, 2, 64);
	ok(rc == 0 || rc == 1, "duet_platform_contig() on 2 pages answers "
	   "(%d)", rc);
	if (duet_platform_frames(p, two, 2, m2, NULL) == 0)
		diag("2-page buffer: mfn %#" PRIx64 ", %#" PRIx64 ": %s", m2[0],
		     m2[1], rc == 1 ? "adjacent (machine-contiguous)" :
				      "not adjacent");
	diag("below 4 GiB: %d", duet_platform_contig(p, two, 2, 32));

	/* 4. contiguous memory, and the DMA layer on the hook */
	is_int(duet_platform_alloc_contig(p, 2, 32, &tmp), -EOPNOTSUPP,
	       "machine-contiguous allocation: -EOPNOTSUPP from userspace");
	rc = duet_dma_mem_create(32, &mem);
	if (rc == 0)
		rc = duet_dma_domain_create(mem, 0, 4, &d);
	if (rc == 0)
		rc = duet_dma_mem_bind(mem, p);
	if (rc == 0)
		rc = duet_dma_domain_alloc(d, 2, (void **)&x);
	is_int(rc, 0, "a DMA machine bound to the platform, 2 pages of "
	       "domain 0's RAM");
	if (rc == 0) {
		rc = duet_dma_virt_to_maddr(mem, x + 5, &maddr, &owner, NULL);
		is_int(rc, 0, "the DMA layer translates through the hook");
		duet_platform_frames(p, x, 1, mfns, pfns);
		ok(maddr == (mfns[0] << 12) + 5 && owner == 0,
		   "to the real machine address %#" PRIx64, maddr);
		ok(m2p && mfns[0] < max_page && m2p[mfns[0]] == pfns[0],
		   "whose M2P entry is its pfn");
		is_int(duet_swiotlb_setup(d, NULL), -EOPNOTSUPP,
		       "a bounce pool (machine-contiguous): -EOPNOTSUPP");
	}
	duet_dma_mem_bind(mem, NULL);
	duet_dma_domain_destroy(d);
	duet_dma_mem_destroy(mem);
	duet_platform_close(p);
	return done_testing();
}

/* SPDX-License-Identifier: MIT */
/*
 * transfer.c - sim page transfer (flip): the page really moves (the
 * sender's address is unmapped, the receiver maps the very same page, not
 * a copy), and every refusal (wrong sender, unused ref, ref reused, page
 * not owned, nothing arrived yet) answers its errno.
 */
#include <sys/mman.h>

#include "tap.h"
#include "lib/simtest.h"

/* Inode of the file mapped at @addr (from /proc/self/maps), or 0. */
static unsigned long mapped_inode(const void *addr)
{
	unsigned long lo, hi, ino = 0, found = 0;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %*s %*s %*s %lu", &lo, &hi, &ino) ==
			    3 &&
		    (unsigned long)addr >= lo && (unsigned long)addr < hi) {
			found = ino;
			break;
		}
	}
	if (f)
		fclose(f);
	return found;
}

int main(void)
{
	struct duet_platform *p1, *p2, *p3;
	duet_grant_ref_t refs[4], shref;
	unsigned d1, d2, d3;
	unsigned long ino;
	char *pg, *got, *pg3, *sh, *other;
	void *x = NULL;
	int st;
	pid_t pid;

	simtest_start(0);
	d1 = simtest_domain("sender");
	d2 = simtest_domain("receiver");
	d3 = simtest_domain("intruder");
	p1 = simtest_open(d1);
	p2 = simtest_open(d2);
	p3 = simtest_open(d3);

	is_int(duet_gnt_transfer_offer(p2, d1, 3, refs), 0,
	       "receiver offers 3 accept-transfer grants to the sender");
	is_int(duet_gnt_transfer_accept(p2, refs[0], &x), -EAGAIN,
	       "accept before anything arrived: -EAGAIN");
	is_int(duet_gnt_transfer_page_alloc(p1, (void **)&pg), 0,
	       "sender allocates a page it owns");
	strcpy(pg, "flipped page");
	ino = mapped_inode(pg);
	ok(ino != 0, "the page is a file mapping (inode %lu)", ino);
	is_int(duet_gnt_transfer(p1, pg, d2, refs[0]), 0, "transfer");
	ok(msync(pg, DUET_PAGE_SIZE, MS_ASYNC) < 0 && errno == ENOMEM,
	   "the sender's address is no longer mapped");
	fflush(stdout);
	pid = fork();
	if (!pid) {
		volatile char c;

		simtest_default_segv();
		c = pg[0];
		(void)c;
		_exit(0);
	}
	waitpid(pid, &st, 0);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
	   "touching the old address faults");
	is_int(duet_gnt_transfer_accept(p2, refs[0], (void **)&got), 0,
	       "receiver accepts");
	is_str(got, "flipped page", "receiver sees the data");
	is_int(mapped_inode(got), ino,
	       "it is the very same page (same memfd inode), not a copy");
	is_int(duet_gnt_transfer_accept(p2, refs[0], &x), -EINVAL,
	       "the accept grant is consumed: -EINVAL");

	is_int(duet_gnt_transfer_page_alloc(p3, (void **)&pg3), 0,
	       "intruder allocates a page");
	is_int(duet_gnt_transfer(p3, pg3, d2, refs[1]), -EACCES,
	       "transfer by a domain the grant is not for: -EACCES");
	strcpy(pg3, "still mine");
	is_str(pg3, "still mine", "a refused transfer keeps the page");
	is_int(duet_gnt_transfer(p3, pg3, d2, 40000), -EINVAL,
	       "ref out of range: -EINVAL");
	is_int(duet_gnt_transfer(p3, pg3, 999, refs[1]), -ESRCH,
	       "no such receiver: -ESRCH");
	is_int(duet_gnt_share(p2, d1, 1, 0, &shref, (void **)&sh), 0,
	       "receiver also shares a page with the sender");
	is_int(duet_gnt_transfer_page_alloc(p1, (void **)&pg), 0,
	       "sender allocates another page");
	is_int(duet_gnt_transfer(p1, pg, d2, shref), -EINVAL,
	       "a normal grant is no accept-transfer grant: -EINVAL");
	is_int(duet_gnt_transfer(p1, pg, d2, refs[1]), 0, "transfer #2");
	is_int(duet_gnt_transfer_page_alloc(p1, (void **)&other), 0,
	       "sender allocates a third page");
	is_int(duet_gnt_transfer(p1, other, d2, refs[1]), -EBUSY,
	       "a second page into the same grant: -EBUSY");
	is_int(duet_gnt_transfer(p1, sh, d2, refs[2]), -EINVAL,
	       "giving away a page it does not own: -EINVAL");
	is_int(duet_gnt_transfer_page_free(p1, other), 0, "free page");
	is_int(duet_gnt_transfer_page_free(p1, other), -EINVAL,
	       "double free: -EINVAL");
	is_int(duet_gnt_transfer_accept(p2, refs[1], &x), 0, "accept #2");
	is_int(duet_gnt_transfer_page_free(p2, x), 0,
	       "receiver frees a received page");
	is_int(duet_gnt_transfer_page_free(p2, got), 0,
	       "and the first one");
	is_int(duet_gnt_transfer_page_free(p3, pg3), 0, "intruder frees");

	/* A freed page is pooled: it comes back zeroed, can be given away
	 * and is then gone from the pool (and from this process). */
	is_int(duet_gnt_transfer_page_alloc(p1, (void **)&pg), 0,
	       "pool: allocate");
	strcpy(pg, "old contents");
	is_int(duet_gnt_transfer_page_free(p1, pg), 0, "pool: free");
	other = NULL;
	is_int(duet_gnt_transfer_page_alloc(p1, (void **)&other), 0,
	       "pool: allocate again");
	ok(other && other[0] == 0 && other[4095] == 0,
	   "pool: a reused page is zeroed");
	is_int(duet_gnt_transfer_page_free(p1, other), 0,
	       "pool: free again");
	is_int(duet_gnt_transfer_page_free(p1, other), -EINVAL,
	       "pool: a pooled page is not owned twice (double free: -EINVAL)");
	is_int(duet_gnt_transfer_offer(p2, d1, 1, &refs[3]), 0,
	       "pool: another accept-transfer grant");
	is_int(duet_gnt_transfer_page_alloc(p1, (void **)&pg), 0,
	       "pool: allocate for a transfer");
	strcpy(pg, "pooled flip");
	is_int(duet_gnt_transfer(p1, pg, d2, refs[3]), 0,
	       "pool: a pooled page can be given away");
	is_int(duet_gnt_transfer_accept(p2, refs[3], &x), 0, "pool: accept");
	is_str((char *)x, "pooled flip", "pool: the receiver sees its contents");
	is_int(duet_gnt_transfer_page_free(p1, pg), -EINVAL,
	       "pool: the sender no longer owns it");
	is_int(duet_gnt_transfer_page_free(p2, x), 0, "pool: receiver frees");
	is_int(duet_gnt_unshare(p2, sh, 1), 0, "unshare");
	duet_platform_close(p3);
	duet_platform_close(p2);
	duet_platform_close(p1);
	return done_testing();
}

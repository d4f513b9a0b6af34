/* SPDX-License-Identifier: MIT */
/*
 * grant-ro.c - sim grants: a read-only grant refuses a writable mapping,
 * maps read-only, and the OS enforces it: a write faults, mprotect fails.
 */
#include <sys/mman.h>

#include "tap.h"
#include "lib/simtest.h"

int main(void)
{
	struct duet_platform *p1, *p2;
	duet_grant_ref_t ref, rwref;
	unsigned d1, d2;
	char *a, *m, *rw, *mrw;
	void *x = NULL;
	int st;
	pid_t pid;

	simtest_pair(0, &d1, &p1, &d2, &p2);

	is_int(duet_gnt_share(p1, d2, 1, DUET_GNT_READONLY, &ref, (void **)&a),
	       0, "share one page read-only");
	strcpy(a, "read me");
	is_int(duet_gnt_map(p2, d1, 1, &ref, 0, &x), -EINVAL,
	       "read-only grant mapped writable: -EINVAL (gntdev's answer)");
	is_int(duet_gnt_map(p2, d1, 1, &ref, DUET_GNT_READONLY, (void **)&m),
	       0, "read-only grant mapped read-only");
	is_str(m, "read me", "contents visible");
	ok(mprotect(m, DUET_PAGE_SIZE, PROT_READ | PROT_WRITE) < 0 &&
		   errno == EACCES,
	   "mprotect to writable is refused by the kernel (EACCES)");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		simtest_default_segv();
		m[0] = 'X';
		_exit(0);
	}
	waitpid(pid, &st, 0);
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV,
	   "a write to the read-only mapping faults (SIGSEGV)");
	is_str(a, "read me", "the granter's page is unchanged");
	is_int(duet_gnt_unmap(p2, m, 1), 0, "unmap");

	is_int(duet_gnt_share(p1, d2, 1, 0, &rwref, (void **)&rw), 0,
	       "share a writable page");
	is_int(duet_gnt_map(p2, d1, 1, &rwref, DUET_GNT_READONLY,
			    (void **)&mrw), 0,
	       "a writable grant may be mapped read-only");
	ok(mprotect(mrw, DUET_PAGE_SIZE, PROT_READ | PROT_WRITE) < 0,
	   "and that mapping cannot be made writable");
	is_int(duet_gnt_unmap(p2, mrw, 1), 0, "unmap");
	is_int(duet_gnt_unshare(p1, rw, 1), 0, "unshare writable");
	is_int(duet_gnt_unshare(p1, a, 1), 0, "unshare read-only");
	duet_platform_close(p2);
	duet_platform_close(p1);
	return done_testing();
}

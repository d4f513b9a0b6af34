/* SPDX-License-Identifier: MIT */
/*
 * simtest.c - the test code declared in simtest.h, built once into
 * libduet-test.a.
 */
#include <time.h>

#include "lib/simtest.h"

char simtest_dir[64];

pid_t simtest_pid;

static void simtest_stop(void)
{
	char cmd[128];

	if (simtest_pid > 0) {
		kill(simtest_pid, SIGTERM);
		waitpid(simtest_pid, NULL, 0);
		simtest_pid = 0;
	}
	if (simtest_dir[0]) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", simtest_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "# could not remove %s\n", simtest_dir);
		simtest_dir[0] = '\0';
	}
}

const char *simtest_start(unsigned frames)
{
	struct simd_opts o = { .grant_frames = frames };
	int pfd[2], rc = -1;
	pid_t pid;

	snprintf(simtest_dir, sizeof(simtest_dir), "/tmp/duet-simtest.XXXXXX");
	if (!mkdtemp(simtest_dir) || pipe(pfd) < 0) {
		printf("1..0 # SKIP cannot make a temp dir\n");
		exit(77);
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct simd *d;

		close(pfd[0]);
		duet_log_set_level(DUET_LOG_WARN);
		o.dir = simtest_dir;
		rc = simd_create(&o, &d);
		if (write(pfd[1], &rc, sizeof(rc)) != sizeof(rc) || rc < 0)
			_exit(1);
		close(pfd[1]);
		simd_run(d);
		simd_destroy(d);
		_exit(0);
	}
	close(pfd[1]);
	if (pid < 0 || read(pfd[0], &rc, sizeof(rc)) != sizeof(rc) || rc < 0) {
		printf("Bail out! simulator daemon did not start (%d)\n", rc);
		exit(1);
	}
	close(pfd[0]);
	simtest_pid = pid;
	atexit(simtest_stop);
	return simtest_dir;
}

void simtest_default_segv(void)
{
	struct {
		void *handler;
		unsigned long flags;
		void *restorer;
		unsigned long mask;
	} ksa = { 0 };

	syscall(SYS_rt_sigaction, SIGSEGV, &ksa, NULL, sizeof(ksa.mask));
}

struct duet_platform *simtest_open(unsigned domid)
{
	struct duet_platform *p;
	char spec[96], id[16];
	int rc;

	snprintf(id, sizeof(id), "%u", domid);
	setenv("DUET_DOMID", id, 1);
	snprintf(spec, sizeof(spec), "sim:%s", simtest_dir);
	rc = duet_platform_open(spec, &p);
	if (rc < 0) {
		printf("Bail out! cannot open sim platform as domain %u: %s\n",
		       domid, strerror(-rc));
		exit(1);
	}
	return p;
}

unsigned simtest_domain(const char *name)
{
	int rc = simctl_domain_create(simtest_dir, name, 0);

	if (rc < 0) {
		printf("Bail out! cannot create domain %s: %s\n", name,
		       strerror(-rc));
		exit(1);
	}
	return (unsigned)rc;
}

void simtest_pair(unsigned frames, unsigned *d1,
		  struct duet_platform **p1, unsigned *d2,
		  struct duet_platform **p2)
{
	simtest_start(frames);
	*d1 = simtest_domain("granter");
	*d2 = simtest_domain("grantee");
	*p1 = simtest_open(*d1);
	*p2 = simtest_open(*d2);
}

int simtest_bind_peer(unsigned me, unsigned peer, unsigned port,
		      struct duet_platform **p, struct duet_evtchn **e)
{
	int lp, rc;

	*p = simtest_open(me);
	rc = duet_evtchn_open(*p, e);
	if (rc < 0)
		return rc;
	lp = duet_evtchn_bind(*e, (duet_domid_t)peer, port);
	if (lp < 0)
		return lp;
	rc = duet_evtchn_notify(*e, (duet_evtchn_port_t)lp);
	return rc < 0 ? rc : lp;
}

int simtest_wait_event(struct duet_evtchn *e, int ms)
{
	struct pollfd pfd = { .fd = duet_evtchn_fd(e), .events = POLLIN };
	int rc = duet_evtchn_pending(e);
	struct timespec t0, t;
	int left = ms;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* A wake-up with nothing pending is allowed (the event was taken
	 * from its port's cell before the notifier's doorbell write landed,
	 * or it is a masked port's): wait again for what is left of @ms. */
	while (rc == -EAGAIN) {
		rc = poll(&pfd, 1, left);
		if (rc <= 0)
			return rc ? -errno : -ETIMEDOUT;
		rc = duet_evtchn_pending(e);
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = ms - (int)((t.tv_sec - t0.tv_sec) * 1000 +
				  (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (rc == -EAGAIN && left <= 0)
			return -ETIMEDOUT;
	}
	return rc;
}

void simtest_copy_seg(struct duet_gnt_copy_seg *s, int to, void *local,
		      unsigned dom, duet_grant_ref_t ref, unsigned off,
		      unsigned len)
{
	union duet_gnt_copy_ptr *l = to ? &s->src : &s->dst;
	union duet_gnt_copy_ptr *g = to ? &s->dst : &s->src;

	memset(s, 0, sizeof(*s));
	l->virt = local;
	g->foreign.domid = (duet_domid_t)dom;
	g->foreign.ref = ref;
	g->foreign.offset = (uint16_t)off;
	s->len = (uint16_t)len;
	s->flags = to ? DUET_GNT_COPY_DST_GREF : DUET_GNT_COPY_SRC_GREF;
}

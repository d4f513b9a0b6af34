/* SPDX-License-Identifier: MIT */
/*
 * engine-lib.c - the network-disk engines load their library at run time
 * (backends/blkback/engine-lib.h):
 *   - libnbd or librbd not installed (DUET_LIBNBD / DUET_LIBRBD naming a
 *     file that is not there): open() fails with -ENOENT and one line
 *     naming the library and the Debian package, and the process goes on;
 *   - loaded once per process: a second open, and opens from several
 *     threads at once, get the same answer;
 *   - a library without the engine's functions (libc as libnbd) and a
 *     file that is not a library: -EOPNOTSUPP, one line, no crash;
 *   - with the installed libraries, open gets past loading to the
 *     storage (no server, no ceph.conf) and says so.
 * Each case runs in a child process of its own, since the load happens
 * once per process; the child reports its answer through a pipe.
 */
#include <errno.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backends/blkback/common.h"
#include "tap.h"

#define NTHREADS 8

/** What a child saw. */
struct answer {
	int rc;
	int same;	/* every open after the first answered the same */
	char err[512];
};

struct opener {
	const struct bb_engine_ops *eng;
	const char *params;
	int rc;
	char err[512];
};

static void *open_once(void *arg)
{
	struct opener *o = arg;
	struct bb_engine_caps caps;
	struct bb_dev dev;

	memset(&dev, 0, sizeof(dev));
	o->err[0] = '\0';
	o->rc = o->eng->open(&dev, o->params, 1, &caps, o->err,
			     sizeof(o->err));
	if (!o->rc)
		o->eng->close(&dev);
	return NULL;
}

/*
 * In a child with @env=@file (no change when @env is NULL): open @params
 * with @eng from NTHREADS threads at once, then once more.
 */
static int run(const struct bb_engine_ops *eng, const char *env,
	       const char *file, const char *params, struct answer *a)
{
	int fds[2], status;
	pid_t pid;

	memset(a, 0, sizeof(*a));
	if (pipe(fds))
		return -errno;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		struct opener o[NTHREADS + 1];
		pthread_t t[NTHREADS];
		struct answer out;
		int i;

		close(fds[0]);
		if (env)
			setenv(env, file, 1);
		for (i = 0; i <= NTHREADS; i++) {
			o[i].eng = eng;
			o[i].params = params;
		}
		for (i = 0; i < NTHREADS; i++)
			if (pthread_create(&t[i], NULL, open_once, &o[i]))
				_exit(3);
		for (i = 0; i < NTHREADS; i++)
			pthread_join(t[i], NULL);
		open_once(&o[NTHREADS]);
		memset(&out, 0, sizeof(out));
		out.rc = o[0].rc;
		snprintf(out.err, sizeof(out.err), "%s", o[0].err);
		out.same = 1;
		for (i = 1; i <= NTHREADS; i++)
			if (o[i].rc != out.rc || strcmp(o[i].err, out.err))
				out.same = 0;
		if (write(fds[1], &out, sizeof(out)) != sizeof(out))
			_exit(4);
		/* No exit handlers: librbd's, and LeakSanitizer's under
		 * ASan, are not what this test is about. */
		_exit(0);
	}
	close(fds[1]);
	if (read(fds[0], a, sizeof(*a)) != sizeof(*a))
		a->rc = 1;
	close(fds[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		diag("child: %s %d", WIFSIGNALED(status) ? "signal" : "exit",
		     WIFSIGNALED(status) ? WTERMSIG(status) :
					   WEXITSTATUS(status));
		return -ECHILD;
	}
	return 0;
}

static int one_line(const char *s)
{
	return *s && !strchr(s, '\n');
}

/* @lib named by @env is missing: -ENOENT and the line @want. */
static void missing(const struct bb_engine_ops *eng, const char *env,
		    const char *file, const char *params, const char *want)
{
	struct answer a;

	ok(!run(eng, env, file, params, &a),
	   "%s=%s: no crash, the process exits cleanly", env, file);
	is_int(a.rc, -ENOENT, "  open %s: -ENOENT", params);
	is_str(a.err, want, "  one line naming the library and package");
	ok(a.same, "  every open (%d threads, then once more) answers the "
	   "same: loaded once", NTHREADS);
}

static void unusable(const struct bb_engine_ops *eng, const char *env,
		     const char *file, const char *params, const char *what,
		     const char *want)
{
	struct answer a;

	ok(!run(eng, env, file, params, &a), "%s=%s (%s): no crash", env,
	   file, what);
	is_int(a.rc, -EOPNOTSUPP, "  -EOPNOTSUPP");
	ok(one_line(a.err) && strstr(a.err, want), "  one line saying %s",
	   want);
	diag("  %s", a.err);
}

/* The installed library: open gets past loading and fails at @want. */
static void real(const struct bb_engine_ops *eng, const char *params,
		 const char *so, const char *want)
{
	struct answer a;

	ok(!run(eng, NULL, NULL, params, &a), "the installed %s: no crash",
	   so);
	ok(a.rc < 0 && one_line(a.err) && strstr(a.err, want) &&
	   !strstr(a.err, "not installed") && !strstr(a.err, "cannot load"),
	   "  open %s loads it and fails at the storage: %s", params, want);
	diag("  %d: %s", a.rc, a.err);
}

int main(void)
{
	char notlib[] = "/tmp/duet-engine-lib.XXXXXX";
	int fd;

	fd = mkstemp(notlib);
	if (fd < 0 || write(fd, "not an ELF file\n", 16) != 16)
		skip_all("cannot write a temporary file");
	close(fd);
#ifdef DUET_HAVE_LIBNBD
	missing(&bb_engine_nbd, "DUET_LIBNBD", "/nonexistent.so",
		"nbd://127.0.0.1:1/",
		"nbd://127.0.0.1:1/: /nonexistent.so (from DUET_LIBNBD) not "
		"installed (apt install libnbd0)");
	/* A name the dynamic linker searches for, as the default is. */
	missing(&bb_engine_nbd, "DUET_LIBNBD", "libnbd-duet-none.so.0",
		"nbd:unix:/nonexistent.sock",
		"nbd:unix:/nonexistent.sock: libnbd-duet-none.so.0 (from "
		"DUET_LIBNBD) not installed (apt install libnbd0)");
	unusable(&bb_engine_nbd, "DUET_LIBNBD", "libc.so.6",
		 "nbd://127.0.0.1:1/", "a library without libnbd's functions",
		 "libc.so.6 (from DUET_LIBNBD) has no nbd_");
	real(&bb_engine_nbd, "nbd://127.0.0.1:1/", "libnbd.so.0",
	     "Connection refused");
#else
	ok(1, "# SKIP duet built without libnbd (libnbd-dev)");
#endif
#ifdef DUET_HAVE_LIBRBD
	missing(&bb_engine_rbd, "DUET_LIBRBD", "/nonexistent.so",
		"rbd:pool/img",
		"rbd:pool/img: /nonexistent.so (from DUET_LIBRBD) not "
		"installed (apt install librbd1)");
	unusable(&bb_engine_rbd, "DUET_LIBRBD", notlib, "rbd:pool/img",
		 "a file that is not a library", "cannot load");
	real(&bb_engine_rbd, "rbd:pool/img:conf=/nonexistent/ceph.conf",
	     "librbd.so.1", "cannot read the Ceph configuration");
#else
	ok(1, "# SKIP duet built without librbd (librbd-dev)");
#endif
	unlink(notlib);
	return done_testing();
}

/* SPDX-License-Identifier: MIT */
/*
 * backendd.c - the backend daemon, `duet status` and `duet detach` run
 * in-process against a private simulator, so that the sanitizer build
 * covers them (tests/sim/backend-daemon.sh covers the same lifecycle
 * with the real CLI).  A test type "vif" drives the real XenBus backend
 * steps; the test plays the frontend through its own xenstore
 * connection of domain 1.  Checked: an instance per online device,
 * restarted after a crash with ctx->restarts counting, stopped when its
 * directory goes, the close handshake of detach answered, the status
 * line of the device, and the daemon's clean exit on SIGTERM.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include "tap.h"
#include "lib/simtest.h"
#include "duet/backend.h"
#include "duet/xenbus.h"
#include "duet/xlspec.h"
#include "duet/xs.h"
#include "toolstack/cli/cmd-backend.h"
#include "toolstack/cli/cli.h"

#define BE "/local/domain/0/backend/vif/1/0"
#define FE "/local/domain/1/device/vif/0"

static void put(const struct duet_backend_ctx *ctx, const char *node, long val)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", ctx->dir, node);
	duet_xs_printf(ctx->xs, DUET_XS_NO_TX, path, "%ld", val);
}

static int crash_now(const struct duet_backend_ctx *ctx)
{
	char path[256], *v;
	int crash;

	snprintf(path, sizeof(path), "%s/test-crash", ctx->dir);
	if (duet_xs_read(ctx->xs, DUET_XS_NO_TX, path, &v) < 0)
		return 0;
	crash = (unsigned)atoi(v) == ctx->restarts;
	free(v);
	return crash;
}

/* The test type: the real backend steps, no rings. */
static int serve(const struct duet_backend_ctx *ctx)
{
	struct duet_xenbus_dev *dev;
	struct pollfd pfd[2];
	char *path, *token;
	int rc, act, connected = 0;

	put(ctx, "test-pid", (long)getpid());
	put(ctx, "test-restarts", (long)ctx->restarts);
	{
		struct duet_backend_stat st[] = {
			{ "test-restarts", ctx->restarts },
			{ "test-pid", (unsigned long long)getpid() },
		};

		if (duet_backend_stats_write(ctx, st, 2) < 0)
			return -EIO;
	}
	rc = duet_xenbus_open(ctx->xs, DUET_XENBUS_BACKEND, ctx->dir, &dev);
	if (rc < 0)
		return rc;
	rc = duet_xs_watch(ctx->xs, ctx->dir, "own");
	if (!rc)
		rc = duet_xenbus_backend_start(dev);
	pfd[0].fd = ctx->stop_fd;
	pfd[0].events = POLLIN;
	pfd[1].fd = duet_xs_fd(ctx->xs);
	pfd[1].events = POLLIN;
	while (rc >= 0) {
		if (crash_now(ctx))
			_exit(99);
		act = duet_xenbus_backend_step(dev, connected);
		if (act == DUET_XENBUS_ACT_CONNECT) {
			connected = 1;
			rc = duet_xenbus_switch(dev, DUET_XENBUS_CONNECTED);
			continue;
		}
		if (act == DUET_XENBUS_ACT_DISCONNECT) {
			connected = 0;
			continue;
		}
		if (act == DUET_XENBUS_ACT_DONE)
			break;
		if (act < 0) {
			rc = act;
			break;
		}
		if (poll(pfd, 2, -1) < 0)
			continue;
		if (pfd[0].revents & POLLIN)
			break;
		while (duet_xs_read_watch(ctx->xs, &path, &token) > 0)
			free(path);
	}
	duet_xenbus_close(dev);
	return rc < 0 ? rc : 0;
}

static const struct duet_backend_type test_type = {
	.name = "vif",
	.flags = DUET_BACKEND_RESTRICT,
	.serve = serve,
};

static struct duet_xs *xs0, *xs1;

static long read_long(struct duet_xs *xs, const char *path)
{
	char *v;
	long r;

	if (duet_xs_read(xs, DUET_XS_NO_TX, path, &v) < 0)
		return -1;
	r = atol(v);
	free(v);
	return r;
}

/* Wait up to 5 s for @path to read @want. */
static int wait_node(const char *path, long want)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (read_long(xs0, path) == want)
			return 1;
		usleep(10000);
	}
	return 0;
}

static int wait_dead(pid_t pid)
{
	int i;

	for (i = 0; i < 500; i++) {
		if (kill(pid, 0) < 0)
			return 1;
		usleep(10000);
	}
	return 0;
}

/* Run a CLI subcommand in a child with stdout into @out; its status. */
static int run_cli(int (*fn)(int, char **), int argc, char **argv,
		   const char *out)
{
	pid_t pid;
	int st, fd;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dup2(fd, 1) < 0)
			_exit(3);
		st = fn(argc, argv);
		fflush(stdout);
		_exit(st);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

int main(void)
{
	const struct duet_backend_type *types[] = {&test_type, NULL};
	char *dargv[] = {"backend", "--grace", "1", NULL};
	char spec[96], out[128], line[512], err[128];
	struct duet_platform *p0, *p1;
	struct duet_xl_vif v;
	pid_t daemon, pid, pid2, det;
	FILE *f;
	int st, i;

	simtest_start(0);
	is_int(simtest_domain("guest"), 1, "guest is domain 1");
	p1 = simtest_open(1);
	p0 = simtest_open(0);
	if (duet_xs_open(p0, &xs0) < 0 || duet_xs_open(p1, &xs1) < 0) {
		printf("Bail out! no xenstore\n");
		return 1;
	}
	snprintf(spec, sizeof(spec), "sim:%s", simtest_dir);
	setenv("DUET_PLATFORM", spec, 1);
	setenv("DUET_DOMID", "0", 1);
	unsetenv("DUET_RUN_DIR");
	snprintf(out, sizeof(out), "%s/out", simtest_dir);

	fflush(stdout);
	daemon = fork();
	if (daemon == 0)
		_exit(backendd_main(3, dargv, types));
	ok(daemon > 0, "daemon started");

	if (duet_xl_vif_parse("bridge=br0", &v, err, sizeof(err)) < 0) {
		printf("Bail out! parse: %s\n", err);
		return 1;
	}
	is_int(duet_xl_vif_attach(xs0, 1, &v, NULL), 0, "attach vif 0");
	ok(wait_node(BE "/state", DUET_XENBUS_INITWAIT),
	   "its instance moves the backend to InitWait");
	pid = (pid_t)read_long(xs0, BE "/test-pid");
	ok(pid > 0 && pid != daemon && kill(pid, 0) == 0,
	   "one instance process (%d)", (int)pid);
	duet_xs_write(xs1, DUET_XS_NO_TX, FE "/state", "3");
	ok(wait_node(BE "/state", DUET_XENBUS_CONNECTED),
	   "frontend Initialised: backend Connected");

	duet_xs_write(xs0, DUET_XS_NO_TX, BE "/test-crash", "0");
	ok(wait_node(BE "/test-restarts", 1), "a crashed instance restarts");
	pid2 = (pid_t)read_long(xs0, BE "/test-pid");
	ok(pid2 > 0 && pid2 != pid && wait_dead(pid), "  in a new process (%d)",
	   (int)pid2);

	{
		char *sargv[] = {"status", NULL};
		char want[128];

		is_int(run_cli(cli_status, 1, sargv, out), 0, "duet status");
		f = fopen(out, "r");
		line[0] = '\0';
		if (f && !fgets(line, sizeof(line), f))
			line[0] = '\0';
		if (f)
			fclose(f);
		snprintf(want, sizeof(want),
			 " instance=%d restarts=1 daemon=running stats="
			 "test-restarts:1,test-pid:%d\n",
			 (int)pid2, (int)pid2);
		ok(!strncmp(line, "vif be=0 fe=1 devid=0 be-state=", 31) &&
			   strstr(line, want),
		   "  lists the device with its instance");
		if (!strstr(line, want))
			printf("# %s", line);
	}

	/* detach: the instance answers the close handshake; we are the
	 * frontend and close when the backend is Closing */
	{
		char *dv[] = {"detach", "--timeout", "5", "1", "vif:0", NULL};

		fflush(stdout);
		det = fork();
		if (det == 0) {
			i = open("/dev/null", O_WRONLY);
			dup2(i, 1);
			_exit(cli_detach(5, dv));
		}
		ok(wait_node(BE "/state", DUET_XENBUS_CLOSING),
		   "detach: the backend is asked to close");
		duet_xs_write(xs1, DUET_XS_NO_TX, FE "/state", "6");
		st = -1;
		waitpid(det, &st, 0);
		ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		   "  and detach completes (status %d)", st);
		ok(wait_dead(pid2), "  the instance ended");
		ok(read_long(xs0, BE "/state") < 0, "  the nodes are gone");
	}

	is_int(duet_xl_vif_attach(xs0, 1, &v, NULL), 0, "attach again");
	ok(wait_node(BE "/state", DUET_XENBUS_INITWAIT), "  served again");
	pid = (pid_t)read_long(xs0, BE "/test-pid");
	is_int(duet_xs_rm(xs0, DUET_XS_NO_TX, BE), 0, "remove its backend dir");
	ok(wait_dead(pid), "  the instance is stopped");
	is_int(duet_xl_detach(xs0, 1, "vif", 0, 1), 0, "  forced cleanup");

	kill(daemon, SIGTERM);
	st = -1;
	waitpid(daemon, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "SIGTERM: the daemon exits 0 (status %d)", st);
	snprintf(line, sizeof(line), CLI_BACKEND_STATUS_FMT, simtest_dir, 0u);
	ok(access(line, F_OK) < 0, "  and removes its status file");

	duet_xl_vif_release(&v);
	duet_xs_close(xs1);
	duet_xs_close(xs0);
	duet_platform_close(p0);
	duet_platform_close(p1);
	return done_testing();
}

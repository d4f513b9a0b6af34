/* SPDX-License-Identifier: MIT */
/*
 * cmd-sim.c - "duet sim": start, stop and inspect the simulator, manage
 * its domains, and run processes inside them.
 *
 * The simulator directory holds the daemon's sockets and three files:
 * sim.lock (flock()ed by the running daemon: that is what "running"
 * means), sim.pid and sim.log.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "duet/parse.h"
#include "duet/platform.h"
#include "toolstack/cli/cmd-sim.h"
#include "sim/simctl.h"
#include "sim/simd.h"
#include "sim/xsd.h"
#include "toolstack/cli/cli.h"

#define DEFAULT_DIR "/tmp/duet-sim"
#define STOP_WAIT_MS 10000

static const char usage_text[] =
	"usage: duet sim <command> [--dir DIR] [args...]\n"
	"\n"
	"commands:\n"
	"  start [--grant-frames N] [--xenstored oxenstored|xenstored] "
	"[--foreground]\n"
	"                          start the simulator daemon (domain 0 "
	"exists from the start)\n"
	"  stop                    stop it (its domains and their network "
	"namespaces go too)\n"
	"  status                  is it running; its domains, clients, "
	"grants in use,\n"
	"                          event-channel ports allocated and "
	"bound to a peer\n"
	"  domain create NAME [--netns]\n"
	"                          add a domain, print its domid; --netns "
	"gives it its own\n"
	"                          network namespace (needs root)\n"
	"  domain destroy DOMID    remove a domain (@releaseDomain fires)\n"
	"  env DOMID               print the variables that put a process in "
	"DOMID:\n"
	"                          eval \"$(duet sim env 1)\"\n"
	"  exec DOMID -- CMD...    run CMD in DOMID (in its network namespace "
	"if it has one)\n"
	"\n"
	"The simulator directory is --dir DIR, else $DUET_SIM_DIR, else the "
	"DIR of\n"
	"DUET_PLATFORM=sim:DIR, else " DEFAULT_DIR ".  Grant tables have "
	"--grant-frames\n"
	"frames of 512 entries per domain (default 64, like Xen's "
	"gnttab_max_frames).\n"
	"Its xenstore behaves like --xenstored where Xen's two daemons "
	"differ (default\n"
	"oxenstored, the one Debian starts).\n"
	"Exit status: 0 ok, 1 failure, 2 bad arguments.\n";

/*
 * struct sim_args - the parsed command line.
 * @dir:          resolved simulator directory.
 * @pos:          positional arguments, @npos of them.
 * @cmd:          for exec: the command after "--", NULL-terminated.
 * @netns, @fg, @ro: flags.
 * @frames:       --grant-frames.
 * @xenstored:    --xenstored, an enum simxsd_flavour (0: oxenstored).
 */
struct sim_args {
	char dir[PATH_MAX];
	char *pos[8];
	int npos;
	char **cmd;
	int netns;
	int fg;
	int ro;
	unsigned frames;
	int xenstored;
};

static int usage_err(const char *fmt, const char *arg)
{
	char msg[256];

	snprintf(msg, sizeof(msg), fmt, arg);
	return cli_usage_error("sim", "%s", msg);
}

/* ------------------------------------------------------------------ */
/* Arguments                                                           */
/* ------------------------------------------------------------------ */

static void default_dir(char *out, size_t size)
{
	const char *e = getenv("DUET_SIM_DIR");

	if (e && *e) {
		snprintf(out, size, "%s", e);
		return;
	}
	e = duet_platform_sim_dir(getenv("DUET_PLATFORM"));
	if (e) {
		snprintf(out, size, "%s", e);
		return;
	}
	snprintf(out, size, "%s", DEFAULT_DIR);
}

/*
 * cli_sim_parse_domid() - a domid argument: decimal, below 0x7ff0.
 * Return: the domid or -1.
 */
int cli_sim_parse_domid(const char *s)
{
	uint64_t v;

	return duet_parse_uint(s, 0x7fef, &v) ? -1 : (int)v;
}

static const struct option sim_opts[] = {
	{ "dir", required_argument, NULL, 'd' },
	{ "netns", no_argument, NULL, 'n' },
	{ "foreground", no_argument, NULL, 'f' },
	{ "ro", no_argument, NULL, 'r' },
	{ "grant-frames", required_argument, NULL, 'g' },
	{ "xenstored", required_argument, NULL, 'x' },
	{ NULL, 0, NULL, 0 },
};

static int parse_args(int argc, char **argv, struct sim_args *a)
{
	uint64_t v;
	int c;

	memset(a, 0, sizeof(*a));
	default_dir(a->dir, sizeof(a->dir));
	cli_getopt_init();
	/* "-": operands come back in order as 1; "--" ends the options. */
	while ((c = getopt_long(argc, argv, "-:", sim_opts, NULL)) != -1) {
		switch (c) {
		case 1:
			if (a->npos == (int)(sizeof(a->pos) / sizeof(a->pos[0])))
				return usage_err("too many arguments ('%s')",
						 optarg);
			a->pos[a->npos++] = optarg;
			break;
		case 'd':
			if (!*optarg)
				return usage_err("%s needs a directory",
						 "--dir");
			snprintf(a->dir, sizeof(a->dir), "%s", optarg);
			break;
		case 'n':
			a->netns = 1;
			break;
		case 'f':
			a->fg = 1;
			break;
		case 'r':
			a->ro = 1;
			break;
		case 'g':
			if (duet_parse_uint(optarg, 1024, &v) || !v)
				return usage_err("bad --grant-frames '%s' "
						 "(1..1024)", optarg);
			a->frames = (unsigned)v;
			break;
		case 'x':
			a->xenstored = simxsd_flavour_parse(optarg);
			if (a->xenstored < 0)
				return usage_err("bad --xenstored '%s' "
						 "(oxenstored or xenstored)",
						 optarg);
			break;
		case ':':
			if (optopt == 'd')
				return usage_err("%s needs a directory",
						 "--dir");
			if (optopt == 'g')
				return usage_err("%s needs a number",
						 "--grant-frames");
			if (optopt == 'x')
				return usage_err("%s needs a daemon name",
						 "--xenstored");
			return cli_option_error("sim", c, argv);
		default:
			return cli_option_error("sim", c, argv);
		}
	}
	if (optind > 1 && !strcmp(argv[optind - 1], "--"))
		a->cmd = &argv[optind];
	if (strlen(a->dir) > 80)
		return usage_err("directory name too long for unix sockets: "
				 "%s", a->dir);
	return 0;
}

/* Make @a->dir absolute (it must exist). */
static int absolute_dir(struct sim_args *a)
{
	char real[PATH_MAX];

	if (!realpath(a->dir, real))
		return -errno;
	if (strlen(real) > 80)
		return -ENAMETOOLONG;
	snprintf(a->dir, sizeof(a->dir), "%s", real);
	return 0;
}

/* The directory of a running simulator, or an error printed. */
static int need_running(struct sim_args *a, const char *what)
{
	int pid;

	if (absolute_dir(a) < 0 || (pid = simctl_running(a->dir)) == -ESRCH) {
		fprintf(stderr,
			"duet sim %s: no simulator running in %s (start one "
			"with 'duet sim start --dir %s')\n",
			what, a->dir, a->dir);
		return -ESRCH;
	}
	if (pid < 0) {
		fprintf(stderr, "duet sim %s: %s: %s\n", what, a->dir,
			strerror(-pid));
		return pid;
	}
	return pid;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "duet sim %s: %s\n", what, strerror(-err));
	return CLI_EXIT_FAIL;
}

/* ------------------------------------------------------------------ */
/* start / stop / status                                               */
/* ------------------------------------------------------------------ */

static int mkdir_p(const char *dir)
{
	char tmp[PATH_MAX], *p;

	snprintf(tmp, sizeof(tmp), "%s", dir);
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* The daemon process: serve, then clean up.  Never returns. */
static void daemon_main(struct sim_args *a, int ready, int fg)
{
	struct simd_opts o = { .dir = a->dir, .grant_frames = a->frames,
			       .xenstored = a->xenstored };
	char path[PATH_MAX + 16];
	struct simd *d;
	int rc, fd;

	if (!fg) {
		snprintf(path, sizeof(path), "%s/" SIMCTL_LOG, a->dir);
		fd = open("/dev/null", O_RDONLY);
		if (fd >= 0) {
			dup2(fd, 0);
			close(fd);
		}
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			  0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
	}
	rc = simd_create(&o, &d);
	if (!rc) {
		snprintf(path, sizeof(path), "%s/" SIMCTL_PID, a->dir);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			  0644);
		if (fd >= 0) {
			dprintf(fd, "%d\n", (int)getpid());
			close(fd);
		}
	}
	if (ready >= 0) {
		if (write(ready, &rc, sizeof(rc)) != sizeof(rc))
			rc = rc ? rc : -EIO;
		close(ready);
	}
	if (rc < 0)
		_exit(1);
	if (fg)
		printf("simulator running in %s (pid %d); Ctrl-C stops it\n",
		       a->dir, (int)getpid());
	fflush(stdout);
	rc = simd_run(d);
	simd_destroy(d);
	snprintf(path, sizeof(path), "%s/" SIMCTL_PID, a->dir);
	unlink(path);
	_exit(rc < 0 ? 1 : 0);
}

static int cmd_start(struct sim_args *a)
{
	char path[PATH_MAX + 16];
	int lock, pfd[2], rc = -EIO, pid;
	pid_t child;
	ssize_t n;

	if (a->npos != 1)
		return usage_err("start takes no argument ('%s')", a->pos[1]);
	rc = mkdir_p(a->dir);
	if (!rc)
		rc = absolute_dir(a);
	if (rc < 0) {
		fprintf(stderr, "duet sim start: %s: %s\n", a->dir,
			strerror(-rc));
		return CLI_EXIT_FAIL;
	}
	snprintf(path, sizeof(path), "%s/" SIMCTL_LOCK, a->dir);
	lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lock < 0)
		return fail("start", -errno);
	if (flock(lock, LOCK_EX | LOCK_NB) < 0) {
		pid = simctl_running(a->dir);
		fprintf(stderr,
			"duet sim start: a simulator is already running in "
			"%s (pid %d); stop it with 'duet sim stop --dir %s'\n",
			a->dir, pid, a->dir);
		close(lock);
		return CLI_EXIT_FAIL;
	}
	/*
	 * The daemon inherits the lock fd through fork() and holds the lock
	 * until it exits; close-on-exec keeps it from anything it runs.
	 */
	if (a->fg)
		daemon_main(a, -1, 1);
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return fail("start", -errno);
	child = fork();
	if (child < 0)
		return fail("start", -errno);
	if (!child) {
		close(pfd[0]);
		setsid();
		if (fork() != 0)
			_exit(0);
		daemon_main(a, pfd[1], 0);
	}
	close(pfd[1]);
	waitpid(child, NULL, 0);
	n = read(pfd[0], &rc, sizeof(rc));
	close(pfd[0]);
	close(lock);
	if (n != sizeof(rc)) {
		fprintf(stderr, "duet sim start: the daemon died while "
				"starting (see %s/" SIMCTL_LOG ")\n", a->dir);
		return CLI_EXIT_FAIL;
	}
	if (rc < 0) {
		fprintf(stderr, "duet sim start: %s (see %s/" SIMCTL_LOG ")\n",
			strerror(-rc), a->dir);
		return CLI_EXIT_FAIL;
	}
	printf("simulator started in %s (pid %d)\n", a->dir,
	       simctl_running(a->dir));
	return CLI_EXIT_OK;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int cmd_stop(struct sim_args *a)
{
	int pid, fd, waited;

	if (a->npos != 1)
		return usage_err("stop takes no argument ('%s')", a->pos[1]);
	pid = need_running(a, "stop");
	if (pid < 0)
		return CLI_EXIT_FAIL;
	fd = simctl_connect(a->dir);
	if (fd >= 0) {
		simctl_call(fd, DUET_SIM_OP_STOP, 0, 0, NULL, 0, NULL, 0,
			    NULL);
		close(fd);
	} else if (pid > 0) {
		kill(pid, SIGTERM);
	}
	for (waited = 0; waited < STOP_WAIT_MS; waited += 10) {
		if (simctl_running(a->dir) == -ESRCH) {
			printf("simulator in %s stopped\n", a->dir);
			return CLI_EXIT_OK;
		}
		sleep_ms(10);
	}
	fprintf(stderr, "duet sim stop: the simulator in %s (pid %d) did not "
			"stop within %d s\n", a->dir, pid, STOP_WAIT_MS / 1000);
	return CLI_EXIT_FAIL;
}

static int cmd_status(struct sim_args *a)
{
	static char text[DUET_SIM_MSG_MAX + 1];
	size_t len = 0;
	int pid, fd, rc;

	if (a->npos != 1)
		return usage_err("status takes no argument ('%s')", a->pos[1]);
	pid = need_running(a, "status");
	if (pid < 0)
		return CLI_EXIT_FAIL;
	fd = simctl_connect(a->dir);
	if (fd < 0)
		return fail("status", fd);
	rc = simctl_call(fd, DUET_SIM_OP_STATUS, 0, 0, NULL, 0, text,
			 DUET_SIM_MSG_MAX, &len);
	close(fd);
	if (rc < 0)
		return fail("status", rc);
	text[len] = '\0';
	printf("simulator running in %s (pid %d)\n", a->dir, pid);
	printf("%-5s %-16s %-20s %7s %15s %5s %5s\n", "domid", "name",
	       "netns", "clients", "grants used/max", "ports", "bound");
	fputs(text, stdout);
	return CLI_EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* domains, env, exec                                                  */
/* ------------------------------------------------------------------ */

static int cmd_domain(struct sim_args *a)
{
	int rc, domid;

	if (a->npos < 2)
		return usage_err("domain needs %s", "'create NAME' or "
				 "'destroy DOMID'");
	if (!strcmp(a->pos[1], "create")) {
		if (a->npos != 3)
			return usage_err("domain create needs %s", "one NAME");
		if (strlen(a->pos[2]) >= DUET_SIM_NAME_MAX ||
		    strspn(a->pos[2], "abcdefghijklmnopqrstuvwxyz"
				      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
			    != strlen(a->pos[2]))
			return usage_err("bad domain name '%s' (letters, "
					 "digits, '-', '_', '.'; < 64)",
					 a->pos[2]);
		if (need_running(a, "domain create") < 0)
			return CLI_EXIT_FAIL;
		rc = simctl_domain_create(a->dir, a->pos[2], a->netns);
		if (rc == -EIO && a->netns) {
			fprintf(stderr, "duet sim domain create: could not "
					"create a network namespace (root and "
					"'ip' needed)\n");
			return CLI_EXIT_FAIL;
		}
		if (rc < 0)
			return fail("domain create", rc);
		printf("%d\n", rc);
		return CLI_EXIT_OK;
	}
	if (!strcmp(a->pos[1], "destroy")) {
		if (a->npos != 3)
			return usage_err("domain destroy needs %s",
					 "one DOMID");
		domid = cli_sim_parse_domid(a->pos[2]);
		if (domid < 0)
			return usage_err("bad domid '%s'", a->pos[2]);
		if (need_running(a, "domain destroy") < 0)
			return CLI_EXIT_FAIL;
		rc = simctl_domain_destroy(a->dir, (unsigned)domid);
		if (rc == -ESRCH) {
			fprintf(stderr, "duet sim domain destroy: no domain "
					"%d\n", domid);
			return CLI_EXIT_FAIL;
		}
		if (rc == -EPERM) {
			fprintf(stderr, "duet sim domain destroy: domain 0 "
					"lives as long as the simulator\n");
			return CLI_EXIT_FAIL;
		}
		return rc < 0 ? fail("domain destroy", rc) : CLI_EXIT_OK;
	}
	return usage_err("unknown domain command '%s'", a->pos[1]);
}

/* Look up @domid in the running simulator. */
static int dom_info(struct sim_args *a, const char *what, int domid,
		    struct duet_sim_dom_info *info)
{
	size_t len = 0;
	int fd, rc;

	if (need_running(a, what) < 0)
		return CLI_EXIT_FAIL;
	fd = simctl_connect(a->dir);
	if (fd < 0)
		return fail(what, fd);
	rc = simctl_call(fd, DUET_SIM_OP_DOM_INFO, (uint32_t)domid, 0, NULL, 0,
			 info, sizeof(*info), &len);
	close(fd);
	if (rc == -ESRCH) {
		fprintf(stderr, "duet sim %s: no domain %d in %s\n", what,
			domid, a->dir);
		return CLI_EXIT_FAIL;
	}
	if (rc < 0)
		return fail(what, rc);
	if (len != sizeof(*info))
		return fail(what, -EPROTO);
	info->name[sizeof(info->name) - 1] = '\0';
	info->netns[sizeof(info->netns) - 1] = '\0';
	return CLI_EXIT_OK;
}

static int cmd_env(struct sim_args *a)
{
	struct duet_sim_dom_info info;
	int domid, rc;

	if (a->npos != 2)
		return usage_err("env needs %s", "one DOMID");
	domid = cli_sim_parse_domid(a->pos[1]);
	if (domid < 0)
		return usage_err("bad domid '%s'", a->pos[1]);
	rc = dom_info(a, "env", domid, &info);
	if (rc)
		return rc;
	printf("export XENSTORED_PATH=%s/xs-%d.sock\n", a->dir, domid);
	printf("export DUET_PLATFORM=sim:%s\n", a->dir);
	printf("export DUET_DOMID=%d\n", domid);
	return CLI_EXIT_OK;
}

static int cmd_exec(struct sim_args *a)
{
	struct duet_sim_dom_info info;
	char val[PATH_MAX + 16];
	int domid, rc, fd;

	if (a->npos != 2 || !a->cmd || !a->cmd[0])
		return usage_err("exec needs %s", "DOMID -- CMD...");
	domid = cli_sim_parse_domid(a->pos[1]);
	if (domid < 0)
		return usage_err("bad domid '%s'", a->pos[1]);
	rc = dom_info(a, "exec", domid, &info);
	if (rc)
		return rc;
	snprintf(val, sizeof(val), "%s/xs-%d.sock", a->dir, domid);
	setenv("XENSTORED_PATH", val, 1);
	snprintf(val, sizeof(val), "sim:%s", a->dir);
	setenv("DUET_PLATFORM", val, 1);
	snprintf(val, sizeof(val), "%d", domid);
	setenv("DUET_DOMID", val, 1);
	if (info.netns[0]) {
		snprintf(val, sizeof(val), "/run/netns/%s", info.netns);
		fd = open(val, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
			fprintf(stderr, "duet sim exec: cannot enter network "
					"namespace %s: %s\n", info.netns,
				strerror(errno));
			return CLI_EXIT_FAIL;
		}
		close(fd);
	}
	execvp(a->cmd[0], a->cmd);
	fprintf(stderr, "duet sim exec: cannot run %s: %s\n", a->cmd[0],
		strerror(errno));
	return 127;
}

/* ------------------------------------------------------------------ */
/* Entry                                                               */
/* ------------------------------------------------------------------ */

int cli_sim(int argc, char **argv)
{
	struct sim_args a;
	int rc;

	if (argc < 2)
		return usage_err("missing command%s", "");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		fputs(usage_text, stdout);
		return CLI_EXIT_OK;
	}
	rc = parse_args(argc, argv, &a);
	if (rc)
		return rc;
	if (!a.npos)
		return usage_err("missing command%s", "");
	if (a.cmd && strcmp(a.pos[0], "exec"))
		return usage_err("'--' is only for 'exec'%s", "");
	if (!strcmp(a.pos[0], "start"))
		return cmd_start(&a);
	if (!strcmp(a.pos[0], "stop"))
		return cmd_stop(&a);
	if (!strcmp(a.pos[0], "status"))
		return cmd_status(&a);
	if (!strcmp(a.pos[0], "domain"))
		return cmd_domain(&a);
	if (!strcmp(a.pos[0], "env"))
		return cmd_env(&a);
	if (!strcmp(a.pos[0], "exec"))
		return cmd_exec(&a);
	rc = cli_sim_tool(a.pos[0], a.npos, a.pos, a.ro);
	if (rc >= 0)
		return rc;
	return usage_err("unknown command '%s'", a.pos[0]);
}

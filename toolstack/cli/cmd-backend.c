/* SPDX-License-Identifier: MIT */
/*
 * cmd-backend.c - `duet backend`: serve every device whose backend is
 * this domain, one process per device, like `xl devd` plus the kernel's
 * xenbus backend core (see duet/backend.h for the device-type contract).
 *
 *   duet backend [--domid N] [--types vbd,qdisk,vif] [--grace S]
 *
 * Xenstore nodes (libxl's layout), all read, none written by the daemon:
 *   /local/domain/<self>/backend/<type>/        watched, one watch per
 *       served type; the daemon lists <fe-domid>/<devid>/ below it.
 *       Names that are not a plain decimal domid (< 32752) or devid
 *       (< 2^31) are logged once and ignored.
 *   <type>/<fe-domid>/<devid>/online            "1": the device should be
 *       served (an instance is started); "0" or absent: it is going
 *       away (no new instance; a running one finishes the close
 *       handshake and ends); anything else is malformed, logged once and
 *       taken as "0".
 * The instance owns everything else in its directory (state, features,
 * ...) through its own xenstore connection.
 *
 * Instances.  For each online device the daemon forks one process.  The
 * child closes every descriptor it inherited (the daemon's xenstore and
 * platform connections must never be used by two processes), asks for
 * SIGTERM when the daemon dies, opens its own platform and xenstore
 * handles, restricts them to the frontend's domain when the type has
 * DUET_BACKEND_RESTRICT (duet_platform_restrict(); -EOPNOTSUPP is logged
 * once and the instance runs unrestricted: on Xen 4.17 restriction also
 * disables gntdev/gntalloc, so a type that maps grants cannot ask for it
 * there), and calls type->serve().  stop_fd is a signalfd for SIGTERM and
 * SIGINT, which stay blocked in the instance.  Exit status 0 means the
 * device is done; anything else (or death by a signal) is a failure.
 *
 * Transitions, each logged once:
 *   device online, no instance      -> start  (instance pid, restarts 0)
 *   instance exits 0                -> ended: not restarted until online
 *                                      goes 0 and back to 1, or the
 *                                      directory is removed and made again
 *                                      (also when both happen before the
 *                                      daemon looks: an online device whose
 *                                      state is back at Initialising, as
 *                                      attach writes it, is new)
 *   instance fails, device online   -> back-off (200 ms doubling to 10 s,
 *                                      reset after 30 s of good service),
 *                                      then start again with restarts + 1
 *   instance fails, device offline  -> ended
 *   directory removed               -> SIGTERM; SIGKILL after --grace
 *                                      (default 3 s); forgotten when reaped
 *   SIGTERM/SIGINT to the daemon    -> every instance as above, then exit 0
 *
 * Status file (for `duet status`): cli_run_dir()/backend-<self>.status,
 * replaced atomically (write + rename) after every transition and
 * removed on exit:
 *   duet-backend 1
 *   daemon <pid> <self-domid>
 *   device <type> <fe-domid> <devid> <pid|-> <restarts> <state>
 * with <state> one of running, backoff, stopping, ended.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "duet/backend.h"
#include "duet/netback.h"
#include "duet/parse.h"
#include "duet/platform.h"
#include "duet/xlspec.h"
#include "duet/xs.h"
#include "gnttab/log-internal.h"
#include "toolstack/cli/cmd-backend.h"
#include "toolstack/cli/cli.h"

#define BD_MAX_TYPES 16
#define BD_BACKOFF_MIN_MS 200u
#define BD_BACKOFF_MAX_MS 10000u
#define BD_BACKOFF_RESET_MS 30000u
#define BD_GRACE_DEFAULT_S 3.0
#define BD_MAX_BAD_NAMES 256u
#define BD_DEVID_MAX 0x7fffffffUL

/* Exit statuses of an instance process. */
#define BD_EXIT_DONE 0
#define BD_EXIT_SERVE_FAILED 1
#define BD_EXIT_SETUP_FAILED 2

enum bd_state {
	BD_IDLE,     /* no instance: offline, or not started yet */
	BD_RUNNING,  /* an instance runs */
	BD_BACKOFF,  /* the last one failed; start again at restart_at */
	BD_STOPPING, /* SIGTERM sent; SIGKILL at kill_at */
	BD_ENDED,    /* the instance finished the device */
};

static const char *const bd_state_names[] = {
	[BD_IDLE] = "idle",	  [BD_RUNNING] = "running",
	[BD_BACKOFF] = "backoff", [BD_STOPPING] = "stopping",
	[BD_ENDED] = "ended",
};

/*
 * struct bd_dev - one device directory the daemon knows.
 * @type:       its device type.
 * @fe, @devid: frontend domid and device id (from the directory names).
 * @dir:        the backend directory.
 * @state:      enum bd_state.
 * @pid:        the instance, or 0.
 * @restarts:   instances started after the first (ctx->restarts).
 * @online:     last "online" seen: 1, 0 (also absent), -1 malformed.
 * @present:    seen by the last scan of its type.
 * @started_ms: when the running instance started.
 * @restart_ms: BD_BACKOFF: when to start again.
 * @kill_ms:    BD_STOPPING: when to SIGKILL.
 * @backoff_ms: the current back-off.
 * @next:       the daemon's list.
 */
struct bd_dev {
	const struct duet_backend_type *type;
	unsigned fe, devid;
	char *dir;
	enum bd_state state;
	pid_t pid;
	unsigned restarts;
	int online;
	int present;
	uint64_t started_ms, restart_ms, kill_ms;
	unsigned backoff_ms;
	struct bd_dev *next;
};

/*
 * struct bd - the daemon.
 * @p, @xs:      its own platform and xenstore handles (never used by an
 *               instance).
 * @self:        the domain served (--domid, default this domain).
 * @types:       the served types, @ntypes.
 * @base:        "/local/domain/<self>/backend".
 * @devs:        known devices.
 * @sigfd:       signalfd for SIGCHLD, SIGTERM, SIGINT.
 * @oldmask:     the signal mask before the daemon blocked those.
 * @grace_ms:    SIGTERM to SIGKILL.
 * @quitting:    SIGTERM/SIGINT received: stop everything and exit.
 * @status_path: the status file, or "" when none.
 * @status_warned: the status file could not be written (logged once).
 * @bad:         directory names already reported as malformed.
 * @bad_rl:      rate limit for those reports once @bad is full.
 */
struct bd {
	struct duet_platform *p;
	struct duet_xs *xs;
	unsigned self;
	const struct duet_backend_type *types[BD_MAX_TYPES];
	unsigned ntypes;
	char base[64];
	struct bd_dev *devs;
	int sigfd;
	sigset_t oldmask;
	uint64_t grace_ms;
	int hotplug; /* --hotplug: 1 toolstack, 0 self, -1 by domain */
	const char *dma; /* --dma: the default DMA backend, or NULL */
	int quitting;
	char status_path[PATH_MAX];
	int status_warned;
	char *bad[BD_MAX_BAD_NAMES];
	unsigned nbad;
	struct duet_log_limit bad_rl;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ------------------------------------------------------------------ */
/* Names and values from xenstore (hostile input)                      */
/* ------------------------------------------------------------------ */

/* A decimal <= @max (duet_parse_uint()); -1 if not. */
static long parse_name(const char *s, unsigned long max)
{
	uint64_t v;

	return duet_parse_uint(s, max, &v) ? -1 : (long)v;
}

/* Report a malformed name or value once per @what. */
static void bad_once(struct bd *d, const char *what, const char *why)
{
	unsigned i;

	for (i = 0; i < d->nbad; i++)
		if (!strcmp(d->bad[i], what))
			return;
	if (d->nbad < BD_MAX_BAD_NAMES) {
		d->bad[d->nbad] = strdup(what);
		if (d->bad[d->nbad])
			d->nbad++;
	} else if (!duet_ratelimit_ok(&d->bad_rl)) {
		return; /* too many to remember: rate-limit instead */
	}
	duet_log(DUET_LOG_WARN, "backend: ignoring %s: %s", what, why);
}

/* ------------------------------------------------------------------ */
/* Status file                                                         */
/* ------------------------------------------------------------------ */

static void status_write(struct bd *d)
{
	char tmp[PATH_MAX + 8];
	struct bd_dev *v;
	FILE *f;

	if (!d->status_path[0])
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", d->status_path);
	f = fopen(tmp, "w");
	if (!f)
		goto fail;
	fprintf(f, "duet-backend 1\ndaemon %d %u\n", (int)getpid(), d->self);
	for (v = d->devs; v; v = v->next) {
		if (v->state == BD_IDLE)
			continue;
		if (v->pid)
			fprintf(f, "device %s %u %u %d %u %s\n", v->type->name,
				v->fe, v->devid, (int)v->pid, v->restarts,
				bd_state_names[v->state]);
		else
			fprintf(f, "device %s %u %u - %u %s\n", v->type->name,
				v->fe, v->devid, v->restarts,
				bd_state_names[v->state]);
	}
	if (fclose(f) != 0 || rename(tmp, d->status_path) < 0) {
		unlink(tmp);
		goto fail;
	}
	return;
fail:
	if (!d->status_warned)
		duet_log(DUET_LOG_WARN, "backend: cannot write %s: %s",
			 d->status_path, strerror(errno));
	d->status_warned = 1;
}

/* ------------------------------------------------------------------ */
/* Instances                                                           */
/* ------------------------------------------------------------------ */

/* The child side: never returns. */
static void instance_main(struct bd *d, struct bd_dev *v, pid_t daemon)
{
	struct duet_backend_ctx ctx;
	char stats[PATH_MAX];
	struct duet_platform *p;
	struct duet_xs *xs;
	sigset_t stop;
	int rc, fd;

	/* The daemon's connections are its own: drop every inherited
	 * descriptor but stdio before opening ours. */
	close_range(3, ~0u, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != daemon)
		_exit(BD_EXIT_SETUP_FAILED);
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_SETMASK, &d->oldmask, NULL);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	fd = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd < 0)
		_exit(BD_EXIT_SETUP_FAILED);
	rc = duet_platform_open(NULL, &p);
	if (rc < 0) {
		duet_log(DUET_LOG_ERR, "backend: %s: platform: %s", v->dir,
			 strerror(-rc));
		_exit(BD_EXIT_SETUP_FAILED);
	}
	rc = duet_xs_open(p, &xs);
	if (rc < 0) {
		duet_log(DUET_LOG_ERR, "backend: %s: xenstore: %s", v->dir,
			 strerror(-rc));
		_exit(BD_EXIT_SETUP_FAILED);
	}
	if (v->type->flags & DUET_BACKEND_RESTRICT) {
		rc = duet_platform_restrict(p, (duet_domid_t)v->fe);
		if (rc == -EOPNOTSUPP) {
			if (!v->restarts)
				duet_log(DUET_LOG_WARN,
					 "backend: %s: this platform cannot "
					 "restrict an instance; running "
					 "unrestricted",
					 v->dir);
		} else if (rc < 0) {
			duet_log(DUET_LOG_ERR,
				 "backend: %s: restrict to "
				 "domain %u: %s",
				 v->dir, v->fe, strerror(-rc));
			_exit(BD_EXIT_SETUP_FAILED);
		}
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.platform = p;
	ctx.xs = xs;
	ctx.type = v->type->name;
	ctx.dir = v->dir;
	ctx.self_domid = d->self;
	ctx.frontend_domid = v->fe;
	ctx.devid = v->devid;
	ctx.restarts = v->restarts;
	ctx.stop_fd = fd;
	ctx.toolstack_hotplug = d->hotplug < 0 ? d->self == 0 : d->hotplug;
	ctx.dma = d->dma;
	if (!cli_stats_path(stats, sizeof(stats), d->self, v->type->name,
			    v->fe, v->devid))
		ctx.stats_path = stats;
	rc = v->type->serve(&ctx);
	if (rc < 0)
		duet_log(DUET_LOG_ERR, "backend: %s: serve: %s", v->dir,
			 strerror(-rc));
	duet_xs_close(xs);
	duet_platform_close(p);
	_exit(rc < 0 ? BD_EXIT_SERVE_FAILED : BD_EXIT_DONE);
}

static void dev_set(struct bd *d, struct bd_dev *v, enum bd_state st)
{
	v->state = st;
	status_write(d);
}

static void instance_start(struct bd *d, struct bd_dev *v)
{
	pid_t daemon = getpid(), pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0)
		instance_main(d, v, daemon);
	if (pid < 0) {
		duet_log(DUET_LOG_ERR, "backend: %s %u/%u: fork: %s",
			 v->type->name, v->fe, v->devid, strerror(errno));
		v->restart_ms = now_ms() + BD_BACKOFF_MAX_MS;
		dev_set(d, v, BD_BACKOFF);
		return;
	}
	v->pid = pid;
	v->started_ms = now_ms();
	duet_log(DUET_LOG_INFO, "backend: %s %u/%u: started instance %d%s",
		 v->type->name, v->fe, v->devid, (int)pid,
		 v->restarts ? " (restart)" : "");
	dev_set(d, v, BD_RUNNING);
}

static void instance_stop(struct bd *d, struct bd_dev *v, const char *why)
{
	if (!v->pid || v->state == BD_STOPPING)
		return;
	duet_log(DUET_LOG_INFO, "backend: %s %u/%u: stopping instance %d (%s)",
		 v->type->name, v->fe, v->devid, (int)v->pid, why);
	kill(v->pid, SIGTERM);
	v->kill_ms = now_ms() + d->grace_ms;
	dev_set(d, v, BD_STOPPING);
}

static void dev_free(struct bd *d, struct bd_dev *v)
{
	struct bd_dev **pp;
	char stats[PATH_MAX];

	if (!cli_stats_path(stats, sizeof(stats), d->self, v->type->name,
			    v->fe, v->devid))
		unlink(stats);

	for (pp = &d->devs; *pp && *pp != v; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = v->next;
	free(v->dir);
	free(v);
}

/* An instance process was reaped with wait status @ws. */
static void instance_reaped(struct bd *d, struct bd_dev *v, int ws)
{
	uint64_t now = now_ms();
	char how[64];
	int ok = WIFEXITED(ws) && WEXITSTATUS(ws) == BD_EXIT_DONE;

	v->pid = 0;
	if (WIFSIGNALED(ws))
		snprintf(how, sizeof(how), "killed by signal %d", WTERMSIG(ws));
	else
		snprintf(how, sizeof(how), "exit status %d", WEXITSTATUS(ws));
	if (v->state == BD_STOPPING || !v->present || d->quitting) {
		duet_log(DUET_LOG_INFO,
			 "backend: %s %u/%u: instance stopped "
			 "(%s)",
			 v->type->name, v->fe, v->devid, how);
		if (!v->present) {
			dev_free(d, v);
			status_write(d);
		} else {
			dev_set(d, v, BD_ENDED);
		}
		return;
	}
	if (ok || v->online != 1) {
		duet_log(DUET_LOG_INFO,
			 "backend: %s %u/%u: instance ended (%s)",
			 v->type->name, v->fe, v->devid, how);
		v->backoff_ms = 0;
		dev_set(d, v, BD_ENDED);
		return;
	}
	if (now - v->started_ms >= BD_BACKOFF_RESET_MS)
		v->backoff_ms = 0;
	v->backoff_ms = v->backoff_ms ? v->backoff_ms * 2 : BD_BACKOFF_MIN_MS;
	if (v->backoff_ms > BD_BACKOFF_MAX_MS)
		v->backoff_ms = BD_BACKOFF_MAX_MS;
	v->restarts++;
	v->restart_ms = now + v->backoff_ms;
	duet_log(DUET_LOG_WARN,
		 "backend: %s %u/%u: instance failed (%s); "
		 "restart %u in %u ms",
		 v->type->name, v->fe, v->devid, how, v->restarts,
		 v->backoff_ms);
	dev_set(d, v, BD_BACKOFF);
}

static void reap(struct bd *d)
{
	struct bd_dev *v;
	pid_t pid;
	int ws;

	while ((pid = waitpid(-1, &ws, WNOHANG)) > 0) {
		for (v = d->devs; v && v->pid != pid; v = v->next)
			;
		if (v)
			instance_reaped(d, v, ws);
	}
}

/* ------------------------------------------------------------------ */
/* Scanning xenstore                                                   */
/* ------------------------------------------------------------------ */

static struct bd_dev *dev_find(struct bd *d, const struct duet_backend_type *t,
			       unsigned fe, unsigned devid)
{
	struct bd_dev *v;

	for (v = d->devs; v; v = v->next)
		if (v->type == t && v->fe == fe && v->devid == devid)
			return v;
	return NULL;
}

/* The directory is gone: stop its instance, or forget it. */
static void dev_gone(struct bd *d, struct bd_dev *v)
{
	v->present = 0;
	if (v->pid) {
		instance_stop(d, v, "directory removed");
		return;
	}
	if (v->state != BD_IDLE)
		duet_log(DUET_LOG_INFO, "backend: %s %u/%u: removed",
			 v->type->name, v->fe, v->devid);
	dev_free(d, v);
	status_write(d);
}

/* Read <dir>/online: 1, 0 (absent too), -1 malformed, -ENOENT when the
 * directory itself is gone, another -errno. */
static int read_online(struct bd *d, const char *dir)
{
	char path[176], *val, **names;
	int rc, on;

	snprintf(path, sizeof(path), "%s/online", dir);
	rc = duet_xs_read(d->xs, DUET_XS_NO_TX, path, &val);
	if (rc == -ENOENT) {
		rc = duet_xs_directory(d->xs, DUET_XS_NO_TX, dir, &names);
		if (rc < 0)
			return rc;
		free(names);
		return 0;
	}
	if (rc < 0)
		return rc;
	on = !strcmp(val, "1") ? 1 : !strcmp(val, "0") ? 0 : -1;
	free(val);
	return on;
}

/*
 * Is the device at @dir freshly attached?  The toolstack writes state 1
 * (Initialising) at attach, and an instance that ended left it in another
 * state (Closed, or whatever it was in when the frontend vanished).
 */
static int fresh(struct bd *d, const char *dir)
{
	char path[176], *val;
	int rc;

	snprintf(path, sizeof(path), "%s/state", dir);
	if (duet_xs_read(d->xs, DUET_XS_NO_TX, path, &val) < 0)
		return 0;
	rc = !strcmp(val, "1");
	free(val);
	return rc;
}

/* Look at one device directory (it may be new, changed or gone). */
static void scan_dev(struct bd *d, const struct duet_backend_type *t,
		     unsigned fe, unsigned devid)
{
	struct bd_dev *v = dev_find(d, t, fe, devid);
	char dir[160];
	int on;

	snprintf(dir, sizeof(dir), "%s/%s/%u/%u", d->base, t->name, fe, devid);
	on = read_online(d, dir);
	if (on == -ENOENT || on == -EACCES) {
		if (v)
			dev_gone(d, v);
		return;
	}
	if (on < -1) {
		duet_log(DUET_LOG_WARN, "backend: %s: %s", dir, strerror(-on));
		return;
	}
	if (!v) {
		v = calloc(1, sizeof(*v));
		if (!v || !(v->dir = strdup(dir))) {
			free(v);
			duet_log(DUET_LOG_ERR, "backend: %s: out of memory",
				 dir);
			return;
		}
		v->type = t;
		v->fe = fe;
		v->devid = devid;
		v->state = BD_IDLE;
		v->next = d->devs;
		d->devs = v;
	}
	v->present = 1;
	if (on == -1) {
		char what[200];

		snprintf(what, sizeof(what), "%s/online", dir);
		bad_once(d, what, "not \"0\" or \"1\" (taken as offline)");
	}
	if (on != 1) {
		/* Offline: an ended device may come back online later. */
		if (v->state == BD_ENDED) {
			v->state = BD_IDLE;
			status_write(d);
		}
		v->online = on;
		return;
	}
	v->online = 1;
	if (v->state == BD_ENDED && fresh(d, dir)) {
		/* Removed and attached again before we saw the removal. */
		duet_log(DUET_LOG_INFO, "backend: %s %u/%u: attached again",
			 t->name, fe, devid);
		v->restarts = 0;
		v->backoff_ms = 0;
		v->state = BD_IDLE;
	}
	if (v->state == BD_IDLE && !d->quitting)
		instance_start(d, v);
}

/* Look at every device of type @t. */
static void scan_type(struct bd *d, const struct duet_backend_type *t)
{
	char path[128], sub[192], what[224], **fes, **ids;
	struct bd_dev *v, *next;
	int nfe, nid, i, j;
	long fe, id;

	for (v = d->devs; v; v = v->next)
		if (v->type == t)
			v->present = -1; /* not seen yet */
	snprintf(path, sizeof(path), "%s/%s", d->base, t->name);
	nfe = duet_xs_directory(d->xs, DUET_XS_NO_TX, path, &fes);
	if (nfe < 0 && nfe != -ENOENT) {
		duet_log(DUET_LOG_WARN, "backend: %s: %s", path,
			 strerror(-nfe));
		for (v = d->devs; v; v = v->next)
			if (v->present == -1)
				v->present = 1;
		return;
	}
	for (i = 0; i < nfe; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", path, fes[i]);
		fe = parse_name(fes[i], DUET_XL_DOMID_MAX - 1);
		if (fe < 0) {
			bad_once(d, sub, "not a frontend domid");
			continue;
		}
		nid = duet_xs_directory(d->xs, DUET_XS_NO_TX, sub, &ids);
		if (nid < 0)
			continue;
		for (j = 0; j < nid; j++) {
			id = parse_name(ids[j], BD_DEVID_MAX);
			if (id < 0) {
				snprintf(what, sizeof(what), "%s/%s", sub,
					 ids[j]);
				bad_once(d, what, "not a device id");
				continue;
			}
			scan_dev(d, t, (unsigned)fe, (unsigned)id);
		}
		free(ids);
	}
	if (nfe > 0)
		free(fes);
	for (v = d->devs; v; v = next) {
		next = v->next;
		if (v->type == t && v->present == -1)
			dev_gone(d, v);
	}
}

/*
 * A watch event for type @t at @path: look at the one device it is about
 * when the path names one, else at the whole type.
 */
static void on_event(struct bd *d, const struct duet_backend_type *t,
		     const char *path)
{
	char pre[128], fe[16], id[16];
	size_t n;
	long f, i;
	int k;

	n = (size_t)snprintf(pre, sizeof(pre), "%s/%s/", d->base, t->name);
	if (strncmp(path, pre, n) ||
	    sscanf(path + n, "%15[^/]/%15[^/]%n", fe, id, &k) != 2) {
		scan_type(d, t);
		return;
	}
	f = parse_name(fe, DUET_XL_DOMID_MAX - 1);
	i = parse_name(id, BD_DEVID_MAX);
	if (f < 0 || i < 0) {
		scan_type(d, t);
		return;
	}
	scan_dev(d, t, (unsigned)f, (unsigned)i);
}

/* ------------------------------------------------------------------ */
/* The loop                                                            */
/* ------------------------------------------------------------------ */

/* Start instances whose back-off ended, kill those past their grace;
 * returns the poll timeout until the next such deadline (-1: none). */
static int timers(struct bd *d)
{
	uint64_t now = now_ms(), next = UINT64_MAX;
	struct bd_dev *v;

	for (v = d->devs; v; v = v->next) {
		if (v->state == BD_BACKOFF) {
			if (d->quitting) {
				dev_set(d, v, BD_ENDED);
				continue;
			}
			if (v->restart_ms <= now) {
				/* Re-read online: it may have changed. */
				v->state = BD_IDLE;
				scan_dev(d, v->type, v->fe, v->devid);
				return 0; /* the list may have changed */
			}
			if (v->restart_ms < next)
				next = v->restart_ms;
		} else if (v->state == BD_STOPPING && v->pid) {
			if (v->kill_ms <= now) {
				duet_log(DUET_LOG_WARN,
					 "backend: %s %u/%u: "
					 "instance %d ignored SIGTERM: "
					 "SIGKILL",
					 v->type->name, v->fe, v->devid,
					 (int)v->pid);
				kill(v->pid, SIGKILL);
				v->kill_ms = UINT64_MAX;
			} else if (v->kill_ms < next) {
				next = v->kill_ms;
			}
		}
	}
	if (next == UINT64_MAX)
		return -1;
	return next - now > 60000 ? 60000 : (int)(next - now) + 1;
}

static void quit_all(struct bd *d)
{
	struct bd_dev *v;

	d->quitting = 1;
	for (v = d->devs; v; v = v->next)
		if (v->pid)
			instance_stop(d, v, "daemon stopping");
}

static int running(const struct bd *d)
{
	const struct bd_dev *v;

	for (v = d->devs; v; v = v->next)
		if (v->pid)
			return 1;
	return 0;
}

static int type_index(const char *token)
{
	char *end;
	long v;

	if (strncmp(token, "duet-backend-", 13))
		return -1;
	v = strtol(token + 13, &end, 10);
	return *end || v < 0 || v >= BD_MAX_TYPES ? -1 : (int)v;
}

static int loop(struct bd *d)
{
	struct signalfd_siginfo si;
	struct pollfd pfd[2];
	char *path, *token;
	int rc, ms, k, failed = 0;

	pfd[0].fd = d->sigfd;
	pfd[0].events = POLLIN;
	pfd[1].fd = duet_xs_fd(d->xs);
	pfd[1].events = POLLIN;
	for (;;) {
		while ((ms = timers(d)) == 0)
			;
		if (d->quitting && !running(d))
			return failed;
		rc = poll(pfd, d->quitting ? 1 : 2, ms);
		if (rc < 0 && errno != EINTR)
			return -errno;
		while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo == SIGCHLD)
				continue;
			if (!d->quitting)
				duet_log(DUET_LOG_INFO,
					 "backend: signal %u: "
					 "stopping every instance",
					 si.ssi_signo);
			quit_all(d);
		}
		reap(d);
		if (d->quitting)
			continue;
		while ((rc = duet_xs_read_watch(d->xs, &path, &token)) > 0) {
			k = type_index(token);
			if (k >= 0 && (unsigned)k < d->ntypes)
				on_event(d, d->types[k], path);
			free(path);
		}
		if (rc < 0) {
			duet_log(DUET_LOG_ERR, "backend: xenstore: %s",
				 strerror(-rc));
			failed = rc;
			quit_all(d);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Arguments                                                           */
/* ------------------------------------------------------------------ */

static void usage(FILE *f, const struct duet_backend_type *const *extra)
{
	const struct duet_backend_type *const *t;
	int any = 0;

	fprintf(f,
		"usage: duet backend [--domid N] [--types T1,T2,...] "
		"[--grace S]\n"
		"                    [--hotplug toolstack|self] "
		"[--dma NAME|list]\n"
		"Serves every device whose backend is this domain (like xl "
		"devd):\n"
		"watches /local/domain/<N>/backend/<type>/ and runs one "
		"process per\n"
		"device whose online node is 1; restarts an instance that "
		"crashes,\n"
		"with back-off; stops one (SIGTERM, SIGKILL after S seconds, "
		"default 3)\n"
		"when its directory is removed.  SIGTERM or SIGINT stops them "
		"all.\n"
		"  --domid N   the domain whose backend directory is served "
		"(default:\n"
		"              the one this process runs in)\n"
		"  --types     the device types to serve (default: all "
		"built in)\n"
		"  --hotplug   who runs a device's hotplug script (vif-bridge):"
		" the\n"
		"              toolstack (libxl, once the backend is in "
		"InitWait) or\n"
		"              self (the backend, as xl devd would); default: "
		"toolstack\n"
		"              in domain 0, self in a driver domain\n"
		"  --dma NAME  block and network I/O through an emulated "
		"DMA device\n"
		"              behind DMA backend NAME (a device's "
		"backend node dma\n"
		"              overrides it); 'list' prints the backends, "
		"one a line\n"
		"The instances are listed by 'duet status'.\n"
		"Environment: DUET_NETBACK_POLL_US=N (0-10000) busy-polls "
		"each vif's\n"
		"transmit ring for N us before it sleeps (default 0: off).\n"
		"dma:");
	cli_dma_list(f, " ");
	fprintf(f, "\ntypes:");
	for (t = extra; t && *t; t++, any = 1)
		fprintf(f, " %s", (*t)->name);
	for (t = duet_backend_builtin_types; *t; t++, any = 1)
		fprintf(f, " %s", (*t)->name);
	fprintf(f, "%s\n",
		any ? ""
		    : " none yet (blkback and netback "
		      "arrive with issues #6 and #7)");
}

static const struct duet_backend_type *
find_type(const char *name, size_t len,
	  const struct duet_backend_type *const *extra)
{
	const struct duet_backend_type *const *t;

	for (t = extra; t && *t; t++)
		if (strlen((*t)->name) == len &&
		    !strncmp((*t)->name, name, len))
			return *t;
	for (t = duet_backend_builtin_types; *t; t++)
		if (strlen((*t)->name) == len &&
		    !strncmp((*t)->name, name, len))
			return *t;
	return NULL;
}

static int add_type(struct bd *d, const struct duet_backend_type *t)
{
	unsigned i;

	for (i = 0; i < d->ntypes; i++)
		if (!strcmp(d->types[i]->name, t->name))
			return 0;
	if (d->ntypes == BD_MAX_TYPES)
		return -1;
	d->types[d->ntypes++] = t;
	return 0;
}

static const struct option bd_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "domid", required_argument, NULL, 'd' },
	{ "types", required_argument, NULL, 't' },
	{ "hotplug", required_argument, NULL, 'H' },
	{ "grace", required_argument, NULL, 'g' },
	{ "dma", required_argument, NULL, 'D' },
	{ NULL, 0, NULL, 0 },
};

/* The one-line reason for a bad or missing value of option @opt. */
static int bad_value(int opt)
{
	switch (opt) {
	case 'd':
		return cli_usage_error("backend",
				       "--domid takes a domain id (0..%u)",
				       DUET_XL_DOMID_MAX - 1);
	case 't':
		return cli_usage_error("backend",
				       "--types takes a comma-separated list");
	case 'H':
		return cli_usage_error("backend",
				       "--hotplug takes toolstack or self");
	case 'D':
		return cli_usage_error("backend",
				       "--dma takes a DMA backend or list");
	default:
		return cli_usage_error("backend",
				       "--grace takes seconds (0 < S <= 3600)");
	}
}

static int parse_args(struct bd *d, int argc, char **argv,
		      const struct duet_backend_type *const *extra, int *domid)
{
	const struct duet_backend_type *const *tt;
	const struct duet_backend_type *t;
	const char *types = NULL, *c, *e;
	double grace = BD_GRACE_DEFAULT_S;
	uint64_t v;
	int o;

	*domid = -1;
	d->hotplug = -1;
	cli_getopt_init();
	while ((o = getopt_long(argc, argv, "+:h", bd_opts, NULL)) != -1) {
		switch (o) {
		case 'h':
			usage(stdout, extra);
			return -1;
		case 'd':
			*domid = cli_parse_domid(optarg);
			if (*domid < 0)
				return bad_value(o);
			break;
		case 't':
			if (!*optarg)
				return bad_value(o);
			types = optarg;
			break;
		case 'H':
			if (!strcmp(optarg, "toolstack"))
				d->hotplug = 1;
			else if (!strcmp(optarg, "self"))
				d->hotplug = 0;
			else
				return bad_value(o);
			break;
		case 'g':
			if (cli_parse_seconds(optarg, 3600, &grace))
				return bad_value(o);
			break;
		case 'D':
			if (!strcmp(optarg, "list")) {
				cli_dma_list(stdout, "\n");
				printf("\n");
				return -1;
			}
			if (cli_dma_check("backend", optarg))
				return CLI_EXIT_USAGE;
			d->dma = optarg;
			break;
		case ':':
			return bad_value(optopt);
		default:
			return cli_option_error("backend", o, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("backend", "unexpected argument '%s'",
				       argv[optind]);
	/* Read by every vif instance (duet/netback.h): refused here once
	 * rather than by each instance it would fail. */
	c = getenv("DUET_NETBACK_POLL_US");
	if (c && *c && duet_parse_uint(c, DUET_NETBACK_POLL_US_MAX, &v) < 0)
		return cli_usage_error("backend", "DUET_NETBACK_POLL_US='%s' "
				       "is not a number of microseconds from "
				       "0 to %u", c, DUET_NETBACK_POLL_US_MAX);
	d->grace_ms = (uint64_t)(grace * 1000);
	if (!types) {
		for (tt = extra; tt && *tt; tt++)
			add_type(d, *tt);
		for (tt = duet_backend_builtin_types; *tt; tt++)
			if (find_type((*tt)->name, strlen((*tt)->name),
				      extra) == *tt)
				add_type(d, *tt);
		return 0;
	}
	for (c = types; *c; c = *e ? e + 1 : e) {
		e = strchr(c, ',');
		if (!e)
			e = c + strlen(c);
		t = find_type(c, (size_t)(e - c), extra);
		if (!t)
			return cli_usage_error("backend",
					       "unknown device type '%.*s'",
					       (int)(e - c), c);
		if (add_type(d, t) < 0)
			return cli_usage_error("backend", "too many types");
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Entry                                                               */
/* ------------------------------------------------------------------ */

static int setup(struct bd *d, int domid)
{
	char dir[PATH_MAX - 32], token[32], path[128];
	struct duet_platform *p;
	struct duet_xs *xs;
	sigset_t mask;
	unsigned i;
	int rc;

	if (cli_open_xs("backend", &p, &xs))
		return -1;
	d->p = p;
	d->xs = xs;
	if (domid < 0) {
		domid = duet_platform_domid(d->p);
		if (domid < 0) {
			fprintf(stderr,
				"duet backend: which domain is this? "
				"%s (use --domid)\n",
				strerror(-domid));
			return -1;
		}
	}
	d->self = (unsigned)domid;
	snprintf(d->base, sizeof(d->base), "/local/domain/%u/backend", d->self);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, &d->oldmask);
	d->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (d->sigfd < 0) {
		fprintf(stderr, "duet backend: signalfd: %s\n",
			strerror(errno));
		return -1;
	}
	if (!cli_run_dir(dir, sizeof(dir))) {
		if (!strcmp(dir, "/run/duet"))
			mkdir(dir, 0755);
		snprintf(d->status_path, sizeof(d->status_path),
			 CLI_BACKEND_STATUS_FMT, dir, d->self);
	}
	for (i = 0; i < d->ntypes; i++) {
		snprintf(path, sizeof(path), "%s/%s", d->base,
			 d->types[i]->name);
		snprintf(token, sizeof(token), "duet-backend-%u", i);
		/* The first event arrives at once: the initial scan. */
		rc = duet_xs_watch(d->xs, path, token);
		if (rc < 0) {
			fprintf(stderr, "duet backend: watch %s: %s\n", path,
				strerror(-rc));
			return -1;
		}
	}
	if (!d->ntypes)
		duet_log(DUET_LOG_WARN,
			 "backend: no device types to serve "
			 "(blkback and netback arrive with issues #6 and #7)");
	duet_log(DUET_LOG_INFO, "backend: serving %s/ in domain %u", d->base,
		 d->self);
	status_write(d);
	return 0;
}

int backendd_main(int argc, char **argv,
		  const struct duet_backend_type *const *extra)
{
	struct bd *d;
	unsigned i;
	int rc, domid;

	d = calloc(1, sizeof(*d));
	if (!d) {
		fprintf(stderr, "duet backend: out of memory\n");
		return CLI_EXIT_FAIL;
	}
	d->sigfd = -1;
	rc = parse_args(d, argc, argv, extra, &domid);
	if (rc) {
		free(d);
		return rc < 0 ? CLI_EXIT_OK : rc;
	}
	rc = setup(d, domid);
	if (!rc) {
		rc = loop(d);
		if (d->status_path[0])
			unlink(d->status_path);
	}
	while (d->devs)
		dev_free(d, d->devs);
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->xs)
		duet_xs_close(d->xs);
	if (d->p)
		duet_platform_close(d->p);
	for (i = 0; i < d->nbad; i++)
		free(d->bad[i]);
	free(d);
	return rc ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

int cli_backend(int argc, char **argv)
{
	return backendd_main(argc, argv, NULL);
}

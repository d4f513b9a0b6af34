/* SPDX-License-Identifier: MIT */
/*
 * cmd-bench.c - "duet bench net": netback's receive strategies compared on
 * the simulator (issue #7).
 *
 *   duet bench net [--modes copy,map,flip] [--sizes 64,256,...]
 *                  [--duration S] [--iperf-duration S] [--no-iperf]
 *                  [--csv PATH] [--png PATH] [--keep]
 *
 * Set-up (all of it private to this run, in a temporary simulator
 * directory, $TMPDIR/duet-bench-net.XXXXXX): a guest (domain 1) and a driver domain (domain 2), each in
 * its own network namespace; the backend daemon (`duet backend`) in the
 * driver domain; per receive strategy one vif (devid = the mode's index)
 * with MTU 65521 (a TAP's largest), its backend node duet-rx-mode written ("copy" or "map";
 * "flip" is the frontend's choice: `duet netfront --rx-flip`) and
 * `duet netfront` in the guest.  Every strategy is attached and connected
 * at the same time, and measured one after the other.
 *
 * Packet stream, per strategy and frame size: a child process in the
 * driver domain's namespace sends raw Ethernet frames of that size (local
 * experimental ethertype 0x88b5, to the guest's MAC) on the vif's TAP,
 * keeping BN_WINDOW frames in flight (closed loop: the TAP's queue never
 * overflows, and the sender leaves the CPU to what is measured); netback
 * reads them from the TAP and puts them in the guest's rx ring by the
 * strategy; netfront writes them to the guest's TAP, whose kernel counts
 * and drops them.  After a warm-up, a window of --duration seconds counts
 * the frames the guest's TAP received (/proc/<netfront>/net/dev) in
 * BN_SLICES slices, and the CPU time (/proc/<pid>/task/<tid>/schedstat,
 * nanoseconds) of the three processes that carry them: the netback
 * instance, netfront and the simulator daemon (the "hypervisor": grant
 * copy, map and transfer are done there).  The sender's own CPU is not
 * counted.  Printed per size and strategy: packets/s (the median slice,
 * robust against a burst of other work on the machine), Gbit/s of frame
 * bytes, CPU ns per packet (whole window); then where the strategies
 * cross over (the sizes between which the better one changes), by
 * throughput and by CPU per packet; written as CSV and, with gnuplot, as
 * a PNG.
 *
 * iperf3 (unless --no-iperf): TCP and UDP from the driver domain to the
 * guest (the rx path) and TCP from the guest to the driver domain (-R, the
 * tx path) over each strategy's vif at MTU 1500, and over a veth pair
 * between the same two namespaces as the baseline, measured in the same
 * run: --iperf-rounds rounds (default 3), each running every path in turn,
 * so that a change of load hits the baseline as much as the vifs; the
 * medians, TCP's ratios of medians to veth, and the range of the ratios
 * round by round are printed.
 *
 * Needs root (TAP devices, network namespaces); exits CLI_EXIT_SKIP (77)
 * with the reason when it cannot run here.  It prints and never asserts a
 * speed (tests/bench/ rule); `make bench` runs it with a short duration.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "duet/parse.h"
#include "duet/platform.h"
#include "duet/xs.h"
#include "sim/simctl.h"
#include "toolstack/cli/cli.h"

#define BN_MAX_SIZES 16
#define BN_NMODES 3
#define BN_MAX_FRAME 65536u
/* The largest MTU of a TAP device (Linux's tun: 65535 - ETH_HLEN), so the
 * largest frame that crosses one is 65535 bytes: a 65536-byte point is
 * sent as 65535-byte frames. */
#define BN_MTU 65521u
#define BN_WIRE_MAX (BN_MTU + 14u)
#define BN_ETHERTYPE 0x88b5 /* IEEE 802 local experimental */
#define BN_WARMUP_S 0.2
/* Frames the sender keeps in flight, and sends per sendmmsg(). */
#define BN_WINDOW 256u
#define BN_BURST 32u
/* A point's window is measured in this many slices (median rate). */
#define BN_SLICES 5

static const char *const mode_name[BN_NMODES] = {"copy", "map", "flip"};

/** One measured point. */
struct bn_point {
	int done;
	uint64_t packets; /* in the whole window */
	double secs;
	double pps;       /* the median slice's rate */
	uint64_t cpu_be, cpu_fe, cpu_sim; /* ns in the window */
};

/** One strategy's vif: devid, processes, interface names. */
/* iperf3 runs per path and round: TCP, UDP, TCP the other way (-R). */
enum { BN_TCP, BN_UDP, BN_REV, BN_NKIND };
#define BN_MAX_ROUNDS 9u

struct bn_vif {
	int on;
	unsigned devid;
	pid_t nf_pid;  /* duet netfront (in the guest's namespace) */
	pid_t nb_pid;  /* the netback instance (driver domain's) */
	char fe_if[IFNAMSIZ], be_if[IFNAMSIZ];
	uint8_t mac[6];
	double tcp, udp; /* iperf3 Mbit/s, medians of the rounds, < 0: failed */
	double tcp_rev;  /* TCP guest -> driver domain (netback's tx path) */
	double run[BN_NKIND][BN_MAX_ROUNDS]; /* each round's, < 0: failed */
};

struct bn {
	int modes[BN_NMODES], nmodes;
	unsigned sizes[BN_MAX_SIZES], nsizes;
	double secs, iperf_secs;
	int iperf;
	const char *csv, *png;
	char self[512];
	char dir[64], log[96];
	unsigned gu, dd;
	pid_t sim_pid, backend_pid;
	struct duet_platform *p;
	struct duet_xs *xs;
	struct bn_vif vif[BN_NMODES];
	struct bn_point pt[BN_NMODES][BN_MAX_SIZES];
	double veth_tcp, veth_udp, veth_tcp_rev;
	double veth_run[BN_NKIND][BN_MAX_ROUNDS];
	unsigned rounds; /* --iperf-rounds */
	int keep; /* --keep or a failure: leave the directory (its log) */
};

static void bench_usage(FILE *f)
{
	fprintf(f,
		"usage: duet bench net [options]\n"
		"Compare netback's receive strategies on a private simulator:\n"
		"the same raw-frame stream from a driver domain to a guest\n"
		"through each strategy, then iperf3 TCP and UDP over each one\n"
		"and over a veth pair (the baseline).  Needs root.\n"
		"  --modes LIST        copy,map,flip (default all three)\n"
		"  --sizes LIST        frame sizes in bytes, 64..65536 (default\n"
		"                      64,256,1500,4096,16384,65536)\n"
		"  --duration S        seconds per point (default 1)\n"
		"  --iperf-duration S  seconds per iperf3 run (default 2)\n"
		"  --iperf-rounds N    rounds of every path in turn, medians\n"
		"                      printed (1-9, default 3)\n"
		"  --no-iperf          skip the iperf3 runs\n"
		"  --csv PATH          the table as CSV (default bench-net.csv)\n"
		"  --png PATH          the gnuplot chart (default bench-net.png)\n"
		"  --keep              keep the simulator directory (its log)\n"
		"Exit status: 0 ok, 1 failure, 2 bad arguments, 77 cannot run\n"
		"here (not root, a tool missing).\n");
}

/* ------------------------------------------------------------------ */
/* Processes                                                           */
/* ------------------------------------------------------------------ */

/*
 * Start argv[] with stdout to @outfd (-1: the log) and stderr to the log.
 * Returns the pid or -errno.
 */
static pid_t spawn(struct bn *b, char *const argv[], int outfd)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		fd = open(b->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
			  0644);
		if (fd >= 0) {
			dup2(outfd >= 0 ? outfd : fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* Wait for @pid at most @timeout seconds (then SIGKILL); exit status. */
static int reap(pid_t pid, double timeout)
{
	struct timespec ts = {0, 10 * 1000 * 1000};
	int st, n;

	for (n = 0; n < timeout * 100; n++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return 128;
}

/*
 * Run a command (NULL-terminated arguments, argv[0] a path) to the end;
 * with @out, its stdout is captured there (NUL-terminated).  Returns its
 * exit status, 128 when killed after @timeout seconds, or -errno.
 */
static int run(struct bn *b, char *out, size_t outlen, double timeout,
	       const char *arg0, ...)
{
	char *argv[32];
	int pfd[2] = {-1, -1}, argc = 0, rc;
	size_t have = 0;
	ssize_t n;
	va_list ap;
	pid_t pid;

	argv[argc++] = (char *)arg0;
	va_start(ap, arg0);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	if (out && pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	pid = spawn(b, argv, out ? pfd[1] : -1);
	if (out) {
		close(pfd[1]);
		while (pid > 0 && have + 1 < outlen &&
		       (n = read(pfd[0], out + have, outlen - have - 1)) > 0)
			have += (size_t)n;
		out[have] = '\0';
		close(pfd[0]);
	}
	if (pid < 0)
		return pid;
	rc = reap(pid, timeout);
	return rc;
}

/* "duet sim exec DOMID -- ARGS..." shortcuts. */
#define SELF(b, ...) run(b, NULL, 0, 30, (b)->self, __VA_ARGS__, NULL)
#define IN_DOM(b, dom, ...)                                              \
	run(b, NULL, 0, 30, (b)->self, "sim", "exec", dom, "--", __VA_ARGS__, \
	    NULL)

/* ------------------------------------------------------------------ */
/* Counters                                                            */
/* ------------------------------------------------------------------ */

/* CPU time of every thread of @pid in ns (schedstat's first field). */
static uint64_t cpu_ns(pid_t pid)
{
	char path[64], buf[128];
	unsigned long long v;
	uint64_t sum = 0;
	struct dirent *e;
	DIR *d;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(buf, sizeof(buf), "/proc/%d/task/%.16s/schedstat",
			 (int)pid, e->d_name);
		f = fopen(buf, "r");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &v) == 1)
			sum += v;
		fclose(f);
	}
	closedir(d);
	return sum;
}

/*
 * Frames received by interface @ifname, from @fd: an open
 * /proc/<pid>/net/dev (the namespace of <pid>), read again from the start
 * each time.  0 when it cannot be read.
 */
static uint64_t dev_rx(int fd, const char *ifname)
{
	unsigned long long bytes, pkts;
	char buf[8192], *s;
	size_t len = strlen(ifname);
	ssize_t n;

	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (s = buf; s; s = strchr(s, '\n')) {
		s += *s == '\n';
		while (*s == ' ')
			s++;
		if (!strncmp(s, ifname, len) && s[len] == ':' &&
		    sscanf(s + len + 1, "%llu %llu", &bytes, &pkts) == 2)
			return pkts;
	}
	return 0;
}

/* /proc/<pid>/net/dev opened for dev_rx(); -1 on failure. */
static int dev_open(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/net/dev", (int)pid);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	struct timespec t;

	t.tv_sec = (time_t)s;
	t.tv_nsec = (long)((s - (double)t.tv_sec) * 1e9);
	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

/* ------------------------------------------------------------------ */
/* The packet stream                                                   */
/* ------------------------------------------------------------------ */

/*
 * The sender (a child): enter the namespace of @v's netback instance and
 * send @size-byte frames to the guest's MAC on the vif's TAP until @secs
 * have passed, closed-loop: at most BN_WINDOW frames in flight (sent and
 * not yet counted by the guest's TAP), so that the TAP's queue never
 * overflows and the sender takes little CPU from the three processes
 * measured.  A frame lost on the way (nothing arrives for 50 ms) is
 * written off.  Exits 0 or 1.
 */
static void sender(const struct bn_vif *v, unsigned size, double secs)
{
	static uint8_t frame[BN_MAX_FRAME];
	struct ether_header *eh = (struct ether_header *)frame;
	struct mmsghdr msg[BN_BURST];
	struct sockaddr_ll sll;
	uint64_t sent = 0, rx, rx0, last_rx = 0;
	double end, t, last_t;
	struct iovec iov;
	char path[64];
	unsigned i;
	int fd, s, n, devfd;

	devfd = dev_open(v->nf_pid);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)v->nb_pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (devfd < 0 || fd < 0 || setns(fd, CLONE_NEWNET) < 0)
		_exit(1);
	close(fd);
	s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (s < 0)
		_exit(1);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)if_nametoindex(v->be_if);
	if (!sll.sll_ifindex ||
	    bind(s, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		_exit(1);
	memcpy(eh->ether_dhost, v->mac, 6);
	memcpy(eh->ether_shost, "\x02\x00\x00\x00\x00\x01", 6);
	eh->ether_type = htons(BN_ETHERTYPE);
	for (i = sizeof(*eh); i < size; i++)
		frame[i] = (uint8_t)i;
	iov.iov_base = frame;
	iov.iov_len = size;
	memset(msg, 0, sizeof(msg));
	for (i = 0; i < BN_BURST; i++) {
		msg[i].msg_hdr.msg_iov = &iov;
		msg[i].msg_hdr.msg_iovlen = 1;
	}
	rx0 = dev_rx(devfd, v->fe_if);
	last_t = now_s();
	end = last_t + secs;
	while ((t = now_s()) < end) {
		rx = dev_rx(devfd, v->fe_if) - rx0;
		if (rx != last_rx) {
			last_rx = rx;
			last_t = t;
		} else if (t - last_t > 0.05) {
			sent = rx; /* lost on the way: written off */
			last_t = t;
		}
		/* The guest's TAP also counts frames not sent here (IPv6
		 * chatter, a late one of the last point). */
		if (rx > sent)
			sent = rx;
		if (sent - rx + BN_BURST > BN_WINDOW) {
			sleep_s(20e-6);
			continue;
		}
		n = sendmmsg(s, msg, BN_BURST, 0);
		if (n > 0)
			sent += (unsigned)n;
		else if (n < 0 && errno != ENOBUFS && errno != EAGAIN &&
			 errno != EINTR)
			_exit(1);
	}
	_exit(0);
}

/* The frame size sent for point size @size. */
static unsigned wire_size(unsigned size)
{
	return size < BN_WIRE_MAX ? size : BN_WIRE_MAX;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Measure one point: strategy @m at frame size index @si.  The window is
 * cut in BN_SLICES slices; the rate is the median slice's (robust against
 * a burst of other work on the machine), the CPU per packet the whole
 * window's.
 */
static int measure(struct bn *b, int m, unsigned si)
{
	struct bn_vif *v = &b->vif[m];
	struct bn_point *pt = &b->pt[m][si];
	uint64_t p0, p, be0, fe0, sim0;
	double t0, t, rate[BN_SLICES];
	int devfd, k;
	pid_t pid;

	devfd = dev_open(v->nf_pid);
	if (devfd < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(devfd);
		return -errno;
	}
	if (pid == 0)
		sender(v, wire_size(b->sizes[si]), BN_WARMUP_S + b->secs + 0.1);
	sleep_s(BN_WARMUP_S);
	p0 = dev_rx(devfd, v->fe_if);
	be0 = cpu_ns(v->nb_pid);
	fe0 = cpu_ns(v->nf_pid);
	sim0 = cpu_ns(b->sim_pid);
	t0 = now_s();
	for (k = 0, p = p0, t = t0; k < BN_SLICES; k++) {
		uint64_t pk;
		double tk;

		sleep_s(b->secs / BN_SLICES);
		pk = dev_rx(devfd, v->fe_if);
		tk = now_s();
		rate[k] = (double)(pk - p) / (tk - t);
		p = pk;
		t = tk;
	}
	pt->packets = p - p0;
	pt->secs = t - t0;
	pt->cpu_be = cpu_ns(v->nb_pid) - be0;
	pt->cpu_fe = cpu_ns(v->nf_pid) - fe0;
	pt->cpu_sim = cpu_ns(b->sim_pid) - sim0;
	qsort(rate, BN_SLICES, sizeof(rate[0]), cmp_double);
	pt->pps = rate[BN_SLICES / 2];
	close(devfd);
	if (reap(pid, b->secs + 5) != 0) {
		fprintf(stderr, "duet bench net: the sender failed (%s, %u "
				"bytes); see %s\n",
			mode_name[m], b->sizes[si], b->log);
		b->keep = 1;
		return -EIO;
	}
	/* Let the rings drain before the next point. */
	sleep_s(0.1);
	pt->done = 1;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Set-up                                                              */
/* ------------------------------------------------------------------ */

/* Wait up to 10 s for xenstore node @path to read @want. */
static int wait_node(struct bn *b, const char *path, const char *want)
{
	char *val;
	int i, ok;

	for (i = 0; i < 100; i++) {
		val = NULL;
		ok = duet_xs_read(b->xs, DUET_XS_NO_TX, path, &val) >= 0 &&
		     val && !strcmp(val, want);
		free(val);
		if (ok)
			return 0;
		sleep_s(0.1);
	}
	return -ETIMEDOUT;
}

/* The netback instance's pid from the backend daemon's status file. */
static pid_t instance_pid(struct bn *b, unsigned devid)
{
	char path[128], line[256], type[16];
	unsigned fe, dev;
	int pid, i;
	FILE *f;

	snprintf(path, sizeof(path), CLI_BACKEND_STATUS_FMT, b->dir, b->dd);
	for (i = 0; i < 100; i++) {
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "device %15s %u %u %d", type, &fe,
				   &dev, &pid) == 4 &&
			    !strcmp(type, "vif") && fe == b->gu &&
			    dev == devid && pid > 0) {
				fclose(f);
				return pid;
			}
		if (f)
			fclose(f);
		sleep_s(0.1);
	}
	return -ESRCH;
}

/* Attach and connect the vif of strategy @m. */
static int vif_up(struct bn *b, int m)
{
	struct bn_vif *v = &b->vif[m];
	char spec[128], path[128], dom[16], devid[16];
	char *nf[12];
	int n = 0, rc;

	v->devid = (unsigned)m;
	memcpy(v->mac, "\x00\x16\x3e\x00\x07\x00", 6);
	v->mac[5] = (uint8_t)m;
	snprintf(v->fe_if, sizeof(v->fe_if), "nf%u", v->devid);
	snprintf(v->be_if, sizeof(v->be_if), "vif%u.%u", b->gu, v->devid);
	snprintf(spec, sizeof(spec),
		 "vif=backend=%u,mac=00:16:3e:00:07:%02x,mtu=%u,devid=%u",
		 b->dd, m, BN_MTU, v->devid);
	snprintf(dom, sizeof(dom), "%u", b->gu);
	rc = SELF(b, "attach", dom, spec);
	if (rc)
		return -EIO;
	if (m != 2) {
		snprintf(path, sizeof(path),
			 "/local/domain/%u/backend/vif/%u/%u/duet-rx-mode",
			 b->dd, b->gu, v->devid);
		rc = duet_xs_write(b->xs, DUET_XS_NO_TX, path, mode_name[m]);
		if (rc < 0)
			return rc;
	}
	/* DUET_BENCH_NET_DMA=<backend>: the vif's frames through that DMA
	 * backend (the backend node "dma", duet/blkif.h). */
	if (getenv("DUET_BENCH_NET_DMA")) {
		snprintf(path, sizeof(path),
			 "/local/domain/%u/backend/vif/%u/%u/dma", b->dd,
			 b->gu, v->devid);
		rc = duet_xs_write(b->xs, DUET_XS_NO_TX, path,
				   getenv("DUET_BENCH_NET_DMA"));
		if (rc < 0)
			return rc;
	}
	snprintf(devid, sizeof(devid), "%u", v->devid);
	nf[n++] = b->self;
	nf[n++] = "sim";
	nf[n++] = "exec";
	nf[n++] = dom;
	nf[n++] = "--";
	nf[n++] = b->self;
	nf[n++] = "netfront";
	nf[n++] = "--ifname";
	nf[n++] = v->fe_if;
	if (m == 2)
		nf[n++] = "--rx-flip";
	nf[n++] = devid;
	nf[n] = NULL;
	v->nf_pid = spawn(b, nf, -1);
	if (v->nf_pid < 0)
		return v->nf_pid;
	v->on = 1;
	snprintf(path, sizeof(path), "/local/domain/%u/device/vif/%u/state",
		 b->gu, v->devid);
	rc = wait_node(b, path, "4");
	snprintf(path, sizeof(path),
		 "/local/domain/%u/backend/vif/%u/%u/state", b->dd, b->gu,
		 v->devid);
	if (!rc)
		rc = wait_node(b, path, "4");
	if (rc < 0)
		return rc;
	v->nb_pid = instance_pid(b, v->devid);
	return v->nb_pid < 0 ? v->nb_pid : 0;
}

static int setup(struct bn *b)
{
	char env[96], dd[16], *tmp;
	char *be[] = {b->self, "sim", "exec", dd, "--", b->self, "backend",
		      NULL};
	ssize_t n;
	int rc, i;

	n = readlink("/proc/self/exe", b->self, sizeof(b->self) - 1);
	if (n <= 0)
		return -errno;
	b->self[n] = '\0';
	tmp = getenv("TMPDIR");
	if ((size_t)snprintf(b->dir, sizeof(b->dir), "%s/duet-bench-net.XXXXXX",
			     tmp && tmp[0] ? tmp : "/tmp") >= sizeof(b->dir))
		return -ENAMETOOLONG;
	if (!mkdtemp(b->dir))
		return -errno;
	snprintf(b->log, sizeof(b->log), "%s/bench.log", b->dir);
	unsetenv("DUET_PLATFORM");
	unsetenv("DUET_DOMID");
	unsetenv("XENSTORED_PATH");
	setenv("DUET_SIM_DIR", b->dir, 1);
	rc = SELF(b, "sim", "start", "--dir", b->dir);
	if (rc)
		return -EIO;
	b->sim_pid = simctl_running(b->dir);
	rc = simctl_domain_create(b->dir, "guest", 1);
	if (rc < 0)
		return rc;
	b->gu = (unsigned)rc;
	rc = simctl_domain_create(b->dir, "netdd", 1);
	if (rc < 0)
		return rc;
	b->dd = (unsigned)rc;
	snprintf(env, sizeof(env), "sim:%s", b->dir);
	setenv("DUET_PLATFORM", env, 1);
	setenv("DUET_DOMID", "0", 1);
	if (b->sim_pid <= 0 || cli_open_xs("bench", &b->p, &b->xs))
		return -EIO;
	snprintf(dd, sizeof(dd), "%u", b->dd);
	b->backend_pid = spawn(b, be, -1);
	if (b->backend_pid < 0)
		return b->backend_pid;
	for (i = 0; i < b->nmodes; i++) {
		rc = vif_up(b, b->modes[i]);
		if (rc < 0) {
			fprintf(stderr, "duet bench net: vif for %s did not "
					"connect: %s\n",
				mode_name[b->modes[i]], strerror(-rc));
			return rc;
		}
	}
	return 0;
}

static void teardown(struct bn *b)
{
	int i;

	for (i = 0; i < BN_NMODES; i++)
		if (b->vif[i].on && b->vif[i].nf_pid > 0) {
			kill(b->vif[i].nf_pid, SIGTERM);
			reap(b->vif[i].nf_pid, 5);
		}
	if (b->backend_pid > 0) {
		kill(b->backend_pid, SIGTERM);
		reap(b->backend_pid, 5);
	}
	duet_xs_close(b->xs);
	duet_platform_close(b->p);
	if (b->dir[0]) {
		SELF(b, "sim", "stop", "--dir", b->dir);
		if (b->keep)
			fprintf(stderr, "duet bench net: kept %s\n", b->dir);
		else if (run(b, NULL, 0, 30, "/bin/rm", "-rf", b->dir, NULL))
			fprintf(stderr, "duet bench net: %s left behind\n",
				b->dir);
	}
}

/* ------------------------------------------------------------------ */
/* iperf3                                                              */
/* ------------------------------------------------------------------ */

/* The receiver's Mbit/s from iperf3's text output, or -1. */
static double iperf_mbits(const char *out)
{
	const char *line = out, *nl, *u;
	double v = -1;

	for (; *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line);
		u = strstr(line, " Mbits/sec");
		if (u && u < nl && strstr(line, "receiver") &&
		    strstr(line, "receiver") < nl) {
			while (u > line && u[-1] != ' ')
				u--;
			v = strtod(u, NULL);
		}
		if (!*nl)
			break;
	}
	return v;
}

/* Is @pid an iperf3 process (and not a pid reused since)? */
static int is_iperf3(int pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return !strcmp(comm, "iperf3\n");
}

/*
 * One iperf3 run from the driver domain to @addr in the guest (@rev: TCP
 * the other way, iperf3 -R), tried twice (a UDP flood can lose iperf3's
 * own control exchange); the client's output goes to the log.
 */
static double iperf_run(struct bn *b, const char *addr, int udp, int rev)
{
	char out[8192], t[16], gu[16], dd[16], srvlog[128], pidf[128];
	double v = -1;
	int try, pid;
	FILE *f;

	snprintf(t, sizeof(t), "%g", b->iperf_secs);
	snprintf(gu, sizeof(gu), "%u", b->gu);
	snprintf(dd, sizeof(dd), "%u", b->dd);
	snprintf(srvlog, sizeof(srvlog), "%s/iperf-srv.log", b->dir);
	snprintf(pidf, sizeof(pidf), "%s/iperf-srv.pid", b->dir);
	for (try = 0; try < 2 && v < 0; try++) {
		unlink(pidf);
		if (IN_DOM(b, gu, "iperf3", "-s", "-1", "-D", "-B", addr,
			   "--logfile", srvlog, "-I", pidf))
			continue;
		sleep_s(0.3);
		out[0] = '\0';
		/* TCP: a NULL in place of "-u" (or after "-R") ends the
		 * arguments there. */
		run(b, out, sizeof(out), b->iperf_secs + 15, b->self, "sim",
		    "exec", dd, "--", "iperf3", "-c", addr, "-t", t, "-f", "m",
		    udp ? "-u" : rev ? "-R" : NULL, udp ? "-b" : NULL, "0",
		    "-l", "1400", NULL);
		v = iperf_mbits(out);
		f = fopen(b->log, "a");
		if (f) {
			fprintf(f, "iperf3 %s%s %s:\n%s",
				udp ? "UDP" : "TCP", rev ? " -R" : "", addr,
				out);
			fclose(f);
		}
		/* After a failure: the server, if it still waits. */
		f = v < 0 ? fopen(pidf, "r") : NULL;
		if (f && fscanf(f, "%d", &pid) == 1 && pid > 0 &&
		    is_iperf3(pid))
			kill(pid, SIGTERM);
		if (f)
			fclose(f);
	}
	return v;
}

/* Addresses and MTU 1500 on both ends of a link; 0 or -EIO. */
static int link_addr(struct bn *b, const char *dd_if, const char *gu_if,
		     const char *net)
{
	char gu[16], dd[16], a1[32], a2[32];

	snprintf(gu, sizeof(gu), "%u", b->gu);
	snprintf(dd, sizeof(dd), "%u", b->dd);
	snprintf(a1, sizeof(a1), "%s.1/24", net);
	snprintf(a2, sizeof(a2), "%s.2/24", net);
	if (IN_DOM(b, dd, "ip", "link", "set", dd_if, "mtu", "1500", "up") ||
	    IN_DOM(b, dd, "ip", "addr", "add", a1, "dev", dd_if) ||
	    IN_DOM(b, gu, "ip", "link", "set", gu_if, "mtu", "1500", "up") ||
	    IN_DOM(b, gu, "ip", "addr", "add", a2, "dev", gu_if))
		return -EIO;
	return 0;
}

/* Round @r of one path: TCP, UDP and TCP-R to @addr. */
static void iperf_path(struct bn *b, const char *addr,
		       double run[BN_NKIND][BN_MAX_ROUNDS], unsigned r)
{
	run[BN_TCP][r] = iperf_run(b, addr, 0, 0);
	run[BN_UDP][r] = iperf_run(b, addr, 1, 0);
	run[BN_REV][r] = iperf_run(b, addr, 0, 1);
}

/* The median of the runs of @x[0..@n) that did not fail, or -1. */
static double median_ok(const double *x, unsigned n)
{
	double v[BN_MAX_ROUNDS], t;
	unsigned k = 0, i, j;

	for (i = 0; i < n; i++)
		if (x[i] >= 0)
			v[k++] = x[i];
	if (!k)
		return -1;
	for (i = 1; i < k; i++)
		for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
			t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
}

static void iperf_all(struct bn *b)
{
	char net[32], addr[BN_NMODES][32], dd[16], pid[16];
	int i, m, up[BN_NMODES] = {0}, veth_up;
	unsigned r, k;

	snprintf(dd, sizeof(dd), "%u", b->dd);
	for (k = 0; k < BN_NKIND; k++)
		for (r = 0; r < BN_MAX_ROUNDS; r++) {
			b->veth_run[k][r] = -1;
			for (i = 0; i < b->nmodes; i++)
				b->vif[b->modes[i]].run[k][r] = -1;
		}
	for (i = 0; i < b->nmodes; i++) {
		struct bn_vif *v = &b->vif[b->modes[i]];

		m = b->modes[i];
		snprintf(net, sizeof(net), "10.78.%d", m);
		snprintf(addr[i], sizeof(addr[i]), "10.78.%d.2", m);
		up[i] = link_addr(b, v->be_if, v->fe_if, net) == 0;
	}
	/* The baseline: a veth pair between the same two namespaces. */
	snprintf(pid, sizeof(pid), "%d", (int)b->vif[b->modes[0]].nf_pid);
	veth_up = !IN_DOM(b, dd, "ip", "link", "add", "bnveth0", "type",
			  "veth", "peer", "name", "bnveth1") &&
		  !IN_DOM(b, dd, "ip", "link", "set", "bnveth1", "netns",
			  pid) &&
		  link_addr(b, "bnveth0", "bnveth1", "10.79.0") == 0;
	for (r = 0; r < b->rounds; r++) {
		for (i = 0; i < b->nmodes; i++)
			if (up[i])
				iperf_path(b, addr[i], b->vif[b->modes[i]].run,
					   r);
		if (veth_up)
			iperf_path(b, "10.79.0.2", b->veth_run, r);
	}
	for (i = 0; i < b->nmodes; i++) {
		struct bn_vif *v = &b->vif[b->modes[i]];

		v->tcp = median_ok(v->run[BN_TCP], b->rounds);
		v->udp = median_ok(v->run[BN_UDP], b->rounds);
		v->tcp_rev = median_ok(v->run[BN_REV], b->rounds);
	}
	b->veth_tcp = median_ok(b->veth_run[BN_TCP], b->rounds);
	b->veth_udp = median_ok(b->veth_run[BN_UDP], b->rounds);
	b->veth_tcp_rev = median_ok(b->veth_run[BN_REV], b->rounds);
}

/* ------------------------------------------------------------------ */
/* Results                                                             */
/* ------------------------------------------------------------------ */

static double pps(const struct bn_point *pt)
{
	return pt->pps;
}

static double gbps(const struct bn_point *pt, unsigned size)
{
	return pps(pt) * wire_size(size) * 8 / 1e9;
}

static double ns_per_pkt(const struct bn_point *pt)
{
	return pt->packets ? (double)(pt->cpu_be + pt->cpu_fe + pt->cpu_sim) /
				     (double)pt->packets :
			     0;
}

static void print_table(struct bn *b)
{
	unsigned s;
	int i;

	printf("\n%6s %-5s %10s %8s %11s  (%s)\n", "size", "mode", "pkt/s",
	       "Gbit/s", "CPU ns/pkt", "netback + netfront + sim");
	for (s = 0; s < b->nsizes; s++)
		for (i = 0; i < b->nmodes; i++) {
			const struct bn_point *pt = &b->pt[b->modes[i]][s];
			double n = pt->packets ? (double)pt->packets : 1;

			if (!pt->done)
				continue;
			printf("%6u %-5s %10.0f %8.3f %11.0f  (%.0f + %.0f + "
			       "%.0f)\n",
			       b->sizes[s], mode_name[b->modes[i]], pps(pt),
			       gbps(pt, b->sizes[s]), ns_per_pkt(pt),
			       (double)pt->cpu_be / n, (double)pt->cpu_fe / n,
			       (double)pt->cpu_sim / n);
		}
	for (s = 0; s < b->nsizes; s++)
		if (b->sizes[s] > BN_WIRE_MAX) {
			printf("(%u: sent as %u-byte frames, the largest a "
			       "TAP device carries)\n",
			       b->sizes[s], BN_WIRE_MAX);
			break;
		}
}

/* Strategies within this fraction of each other are level. */
#define BN_LEVEL 0.1

/* Which of @x and @y is ahead at size index @s: 1 @x, -1 @y, 0 level. */
static int ahead(struct bn *b, int x, int y, unsigned s, int cpu)
{
	double vx, vy;

	/* Throughput: more is better; CPU per packet: less is better. */
	vx = cpu ? 1 / ns_per_pkt(&b->pt[x][s]) : pps(&b->pt[x][s]);
	vy = cpu ? 1 / ns_per_pkt(&b->pt[y][s]) : pps(&b->pt[y][s]);
	if (vx > vy * (1 + BN_LEVEL))
		return 1;
	if (vy > vx * (1 + BN_LEVEL))
		return -1;
	return 0;
}

/*
 * Strategies @x and @y by throughput or by CPU per packet: which one is
 * ahead over which sizes (runs of consecutive sizes), and the crossovers:
 * the sizes between which the one ahead changes (level sizes between
 * them are skipped).
 */
static void crossover(struct bn *b, int x, int y, int cpu)
{
	unsigned s, first = 0, lead_size = 0, ncross = 0;
	unsigned cross[BN_MAX_SIZES][2];
	int st, run = 2, lead = 0;
	char name[32];

	printf("  %s vs %s by %s:", mode_name[x], mode_name[y],
	       cpu ? "CPU/packet" : "throughput");
	for (s = 0; s <= b->nsizes; s++) {
		st = s < b->nsizes && b->pt[x][s].done && b->pt[y][s].done ?
			     ahead(b, x, y, s, cpu) :
			     2;
		if (st != run && run != 2) {
			if (run)
				snprintf(name, sizeof(name), "%s ahead",
					 mode_name[run > 0 ? x : y]);
			else
				snprintf(name, sizeof(name), "level (10%%)");
			printf(" %s at %u", name, b->sizes[first]);
			if (b->sizes[s - 1] != b->sizes[first])
				printf("-%u", b->sizes[s - 1]);
			printf(" B;");
		}
		if (st != run)
			first = s;
		run = st;
		if (st == 2 || st == 0)
			continue;
		if (lead && st != lead) {
			cross[ncross][0] = lead_size;
			cross[ncross++][1] = b->sizes[s];
		}
		lead = st;
		lead_size = b->sizes[s];
	}
	if (!ncross)
		printf(" no crossover");
	for (s = 0; s < ncross; s++)
		printf("%s %u and %u B", s ? "," : " crossover between",
		       cross[s][0],
		       cross[s][1]);
	printf("\n");
}

static int write_csv(struct bn *b)
{
	FILE *f = fopen(b->csv, "w");
	unsigned s;
	int i;

	if (!f)
		return -errno;
	fprintf(f, "size,mode,packets,seconds,pps,gbps,cpu_ns_per_pkt,"
		   "netback_ns,netfront_ns,sim_ns\n");
	for (i = 0; i < b->nmodes; i++)
		for (s = 0; s < b->nsizes; s++) {
			const struct bn_point *pt = &b->pt[b->modes[i]][s];

			if (!pt->done)
				continue;
			fprintf(f, "%u,%s,%llu,%.6f,%.1f,%.6f,%.1f,%llu,%llu,"
				   "%llu\n",
				b->sizes[s], mode_name[b->modes[i]],
				(unsigned long long)pt->packets, pt->secs,
				pps(pt), gbps(pt, b->sizes[s]), ns_per_pkt(pt),
				(unsigned long long)pt->cpu_be,
				(unsigned long long)pt->cpu_fe,
				(unsigned long long)pt->cpu_sim);
		}
	return fclose(f) ? -errno : 0;
}

/* The chart: Gbit/s and CPU ns/packet over frame size, one line a mode. */
static int write_png(struct bn *b)
{
	char script[128], modes[32] = "";
	FILE *f;
	int i, rc;

	if (system("command -v gnuplot >/dev/null 2>&1")) {
		printf("gnuplot not found (make deps installs gnuplot-nox): "
		       "no PNG, the CSV has the data\n");
		return 0;
	}
	for (i = 0; i < b->nmodes; i++)
		snprintf(modes + strlen(modes), sizeof(modes) - strlen(modes),
			 "%s%s", i ? " " : "", mode_name[b->modes[i]]);
	snprintf(script, sizeof(script), "%s/net.gp", b->dir);
	f = fopen(script, "w");
	if (!f)
		return -errno;
	fprintf(f,
		"set terminal png size 1200,500\n"
		"set output '%s'\n"
		"set datafile separator ','\n"
		"set multiplot layout 1,2 title 'duet bench net: netback "
		"receive strategies (simulator, %g s per point)'\n"
		"set logscale x 2\nset grid\nset key top left\n"
		"set xlabel 'frame size (bytes)'\n"
		"set ylabel 'Gbit/s'\n"
		"plot for [m in '%s'] '%s' every ::1 using "
		"(strcol(2) eq m ? $1 : NaN):6 with linespoints title m\n"
		"set logscale y\nset key top right\n"
		"set ylabel 'CPU ns per packet'\n"
		"plot for [m in '%s'] '%s' every ::1 using "
		"(strcol(2) eq m ? $1 : NaN):7 with linespoints title m\n"
		"unset multiplot\n",
		b->png, b->secs, modes, b->csv, modes, b->csv);
	if (fclose(f))
		return -errno;
	rc = run(b, NULL, 0, 60, "/bin/sh", "-c", "gnuplot \"$0\"", script,
		 NULL);
	return rc ? -EIO : 0;
}

/* @x / @veth as "0.00", or "-" when either run failed. */
static const char *ratio(char *buf, size_t n, double x, double veth)
{
	if (x < 0 || veth <= 0)
		return "-";
	snprintf(buf, n, "%.2f", x / veth);
	return buf;
}

/* The lowest and highest of the rounds' @x / @veth as "0.00-0.00", or
 * "-" when no round has both. */
static const char *ratio_range(char *buf, size_t n, const double *x,
			       const double *veth, unsigned rounds)
{
	double lo = 0, hi = 0, q;
	unsigned r, k = 0;

	for (r = 0; r < rounds; r++) {
		if (x[r] < 0 || veth[r] <= 0)
			continue;
		q = x[r] / veth[r];
		lo = k && lo < q ? lo : q;
		hi = k && hi > q ? hi : q;
		k++;
	}
	if (!k)
		return "-";
	snprintf(buf, n, "%.2f-%.2f", lo, hi);
	return buf;
}

static void print_iperf(struct bn *b)
{
	char r1[24], r2[24];
	int i;

	printf("\niperf3 between the driver domain and the guest, %g s "
	       "each, MTU 1500\n(TCP and UDP: driver domain -> guest, "
	       "netback's rx path; TCP-R: guest -> driver domain, its tx "
	       "path):\n%-6s %12s %12s %12s %8s %8s\n",
	       b->iperf_secs, "path", "TCP Mbit/s", "UDP Mbit/s",
	       "TCP-R Mbit/s", "TCP/veth", "R/veth");
	for (i = 0; i < b->nmodes; i++) {
		struct bn_vif *v = &b->vif[b->modes[i]];

		printf("%-6s %12.0f %12.0f %12.0f %8s %8s\n",
		       mode_name[b->modes[i]], v->tcp, v->udp, v->tcp_rev,
		       ratio(r1, sizeof(r1), v->tcp, b->veth_tcp),
		       ratio(r2, sizeof(r2), v->tcp_rev, b->veth_tcp_rev));
	}
	printf("%-6s %12.0f %12.0f %12.0f   (baseline, same namespaces)\n",
	       "veth", b->veth_tcp, b->veth_udp, b->veth_tcp_rev);
	printf("(medians of %u interleaved rounds; -1: every run failed; UDP: "
	       "1400-byte datagrams, unlimited rate, what arrived)\n",
	       b->rounds);
	for (i = 0; i < b->nmodes; i++) {
		const struct bn_vif *v = &b->vif[b->modes[i]];

		printf("%-6s round by round: TCP/veth %s, R/veth %s\n",
		       mode_name[b->modes[i]],
		       ratio_range(r1, sizeof(r1), v->run[BN_TCP],
				   b->veth_run[BN_TCP], b->rounds),
		       ratio_range(r2, sizeof(r2), v->run[BN_REV],
				   b->veth_run[BN_REV], b->rounds));
	}
}

/* ------------------------------------------------------------------ */
/* Arguments                                                           */
/* ------------------------------------------------------------------ */

static int parse_modes(struct bn *b, const char *arg)
{
	char buf[64], *tok, *save;
	int i, seen = 0;

	if (strlen(arg) >= sizeof(buf))
		return -1;
	strcpy(buf, arg);
	b->nmodes = 0;
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < BN_NMODES && strcmp(tok, mode_name[i]); i++)
			;
		if (i == BN_NMODES || (seen & (1 << i)))
			return -1;
		seen |= 1 << i;
		b->modes[b->nmodes++] = i;
	}
	return b->nmodes ? 0 : -1;
}

static int parse_sizes(struct bn *b, const char *arg)
{
	unsigned long v;
	const char *s = arg;
	char *end;

	b->nsizes = 0;
	while (*s) {
		errno = 0;
		v = strtoul(s, &end, 10);
		if (errno || end == s || v < 64 || v > BN_MAX_FRAME ||
		    b->nsizes == BN_MAX_SIZES || (*end && *end != ','))
			return -1;
		b->sizes[b->nsizes++] = (unsigned)v;
		s = *end ? end + 1 : end;
	}
	return b->nsizes ? 0 : -1;
}

static const struct option bench_opts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "modes", required_argument, NULL, 'm' },
	{ "sizes", required_argument, NULL, 's' },
	{ "duration", required_argument, NULL, 'd' },
	{ "iperf-duration", required_argument, NULL, 'D' },
	{ "iperf-rounds", required_argument, NULL, 'R' },
	{ "keep", no_argument, NULL, 'k' },
	{ "no-iperf", no_argument, NULL, 'n' },
	{ "csv", required_argument, NULL, 'c' },
	{ "png", required_argument, NULL, 'p' },
	{ NULL, 0, NULL, 0 },
};

static int bench_net(int argc, char **argv)
{
	static struct bn bn;
	struct bn *b = &bn;
	int i, j, rc, ret = CLI_EXIT_FAIL;
	uint64_t u;
	unsigned s;

	parse_modes(b, "copy,map,flip");
	parse_sizes(b, "64,256,1500,4096,16384,65536");
	b->secs = 1;
	b->iperf_secs = 2;
	b->rounds = 3;
	b->iperf = 1;
	b->csv = "bench-net.csv";
	b->png = "bench-net.png";
	cli_getopt_init();
	while ((i = getopt_long(argc, argv, "+:h", bench_opts, NULL)) != -1) {
		switch (i) {
		case 'h':
			bench_usage(stdout);
			return CLI_EXIT_OK;
		case 'm':
			if (parse_modes(b, optarg))
				return cli_usage_error("bench net",
						       "bad --modes '%s'",
						       optarg);
			break;
		case 's':
			if (parse_sizes(b, optarg))
				return cli_usage_error("bench net",
						       "bad --sizes '%s'",
						       optarg);
			break;
		case 'd':
			if (cli_parse_seconds(optarg, 600, &b->secs))
				return cli_usage_error("bench net",
						       "bad --duration '%s'",
						       optarg);
			break;
		case 'D':
			if (cli_parse_seconds(optarg, 600, &b->iperf_secs) ||
			    b->iperf_secs < 1)
				return cli_usage_error(
					"bench net",
					"bad --iperf-duration '%s'", optarg);
			break;
		case 'R':
			if (duet_parse_uint(optarg, BN_MAX_ROUNDS, &u) < 0 ||
			    u < 1)
				return cli_usage_error(
					"bench net", "bad --iperf-rounds '%s' "
					"(1..%u)", optarg, BN_MAX_ROUNDS);
			b->rounds = (unsigned)u;
			break;
		case 'k':
			b->keep = 1;
			break;
		case 'n':
			b->iperf = 0;
			break;
		case 'c':
			b->csv = optarg;
			break;
		case 'p':
			b->png = optarg;
			break;
		default:
			return cli_option_error("bench net", i, argv);
		}
	}
	if (optind < argc)
		return cli_usage_error("bench net", "unexpected argument '%s'",
				       argv[optind]);
	if (geteuid() != 0) {
		printf("duet bench net: skipped: needs root (TAP devices, "
		       "network namespaces)\n");
		return CLI_EXIT_SKIP;
	}
	if (b->iperf && system("command -v iperf3 >/dev/null 2>&1")) {
		printf("duet bench net: skipped: iperf3 missing (make deps)\n");
		return CLI_EXIT_SKIP;
	}
	printf("duet bench net: receive strategies on the simulator, %g s "
	       "per point\n",
	       b->secs);
	fflush(stdout);
	rc = setup(b);
	if (rc < 0) {
		fprintf(stderr, "duet bench net: set-up failed: %s (log: %s)\n",
			strerror(-rc), b->log);
		b->keep = 1;
		goto out;
	}
	for (i = 0; i < b->nmodes; i++)
		for (s = 0; s < b->nsizes; s++) {
			rc = measure(b, b->modes[i], s);
			if (rc < 0)
				goto out;
		}
	print_table(b);
	printf("\ncrossovers:\n");
	for (i = 0; i < b->nmodes; i++)
		for (j = i + 1; j < b->nmodes; j++) {
			crossover(b, b->modes[i], b->modes[j], 0);
			crossover(b, b->modes[i], b->modes[j], 1);
		}
	rc = write_csv(b);
	if (rc < 0) {
		fprintf(stderr, "duet bench net: %s: %s\n", b->csv,
			strerror(-rc));
		goto out;
	}
	printf("\nCSV: %s\n", b->csv);
	rc = write_png(b);
	if (rc < 0)
		fprintf(stderr, "duet bench net: gnuplot failed (%s)\n",
			strerror(-rc));
	else if (!system("command -v gnuplot >/dev/null 2>&1"))
		printf("PNG: %s\n", b->png);
	fflush(stdout);
	if (b->iperf) {
		iperf_all(b);
		print_iperf(b);
	}
	ret = CLI_EXIT_OK;
out:
	fflush(stdout);
	teardown(b);
	return ret;
}

int cli_bench(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		printf("usage: duet bench net [options]   (duet bench net "
		       "--help)\n"
		       "       duet bench dma [options]   (duet bench dma "
		       "--help)\n");
		return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
	}
	if (!strcmp(argv[1], "net"))
		return bench_net(argc - 1, argv + 1);
	if (!strcmp(argv[1], "dma"))
		return cli_bench_dma(argc - 1, argv + 1);
	return cli_usage_error("bench", "unknown benchmark '%s'", argv[1]);
}

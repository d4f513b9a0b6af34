/* SPDX-License-Identifier: MIT */
/*
 * cli.h - the duet command's subcommands.
 *
 * Each subcommand is "int cli_<name>(int argc, char **argv)" with argv[0]
 * the subcommand's name; it returns the process exit status: 0 success,
 * 1 failure, 2 bad arguments (after printing a one-line reason to stderr).
 * Each one answers --help.
 */
#ifndef DUET_TOOLSTACK_CLI_H
#define DUET_TOOLSTACK_CLI_H

#include <stddef.h>
#include <stdio.h>

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2
/* A benchmark that cannot run here (not root, a tool missing). */
#define CLI_EXIT_SKIP 77

int cli_sim(int argc, char **argv);
int cli_platform(int argc, char **argv);
int cli_attach(int argc, char **argv);
int cli_detach(int argc, char **argv);
int cli_backend(int argc, char **argv);
int cli_status(int argc, char **argv);
int cli_blkfront(int argc, char **argv);
int cli_netfront(int argc, char **argv);
int cli_bench(int argc, char **argv);
/* duet bench dma (cmd-bench-dma.c), reached through cli_bench(). */
int cli_bench_dma(int argc, char **argv);

struct duet_platform;
struct duet_xs;

/** cli_parse_domid() - a domid argument (duet_parse_uint(), below
 *  DUET_XL_DOMID_MAX); -1 if malformed. */
int cli_parse_domid(const char *arg);

/**
 * cli_open_xs() - open the platform this process runs on and its
 * xenstore.  Returns 0, or prints "duet <cmd>: ..." and returns
 * CLI_EXIT_FAIL (nothing left open).
 */
int cli_open_xs(const char *cmd, struct duet_platform **p,
		struct duet_xs **xs);

/** cli_parse_seconds() - a positive decimal number of seconds ("10",
 *  "0.5") not above @max; 0 and *@out, or -1. */
int cli_parse_seconds(const char *arg, double max, double *out);

/**
 * cli_run_dir() - where the backend daemon publishes its instances for
 * `duet status`: $DUET_RUN_DIR, else the simulator directory when
 * DUET_PLATFORM is "sim:<dir>", else /run/duet.  Returns 0 or
 * -ENAMETOOLONG.
 */
int cli_run_dir(char *buf, size_t len);

/** The backend daemon's status file inside cli_run_dir():
 *  "backend-<domid>.status" (format: toolstack/cli/cmd-backend.c). */
#define CLI_BACKEND_STATUS_FMT "%s/backend-%u.status"

/** An instance's counters inside cli_run_dir() (duet_backend_stats_write()):
 *  "backend-<domid>-<type>-<fe-domid>-<devid>.stats". */
#define CLI_BACKEND_STATS_FMT "%s/backend-%u-%s-%u-%u.stats"

/**
 * cli_stats_path() - the counters file of one device served by the daemon
 * of @self.  Returns 0, or -errno when there is no run directory.
 */
int cli_stats_path(char *buf, size_t len, unsigned self, const char *type,
		   unsigned fe, unsigned devid);

/**
 * cli_usage_error() - print "duet <cmd>: <reason>" and a hint to stderr;
 * returns CLI_EXIT_USAGE so callers can "return cli_usage_error(...)".
 */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/**
 * cli_dma_list() - print the DMA backends of the registry to @f,
 * separated by @sep (cli-dma.c).
 * cli_dma_check() - 0 when @name is a registered DMA backend, else
 * "duet <cmd>: unknown DMA backend 'x' (known: a, b, ...)" through
 * cli_usage_error() and CLI_EXIT_USAGE.
 */
void cli_dma_list(FILE *f, const char *sep);
int cli_dma_check(const char *cmd, const char *name);

/*
 * Every subcommand reads its options with getopt_long(), options before
 * operands (short options start with "+:"), as in:
 *
 *	cli_getopt_init();
 *	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1)
 *		switch (c) {
 *		...
 *		default:
 *			return cli_option_error("x", c, argv);
 *		}
 *
 * cli_getopt_init() restarts getopt (a subcommand may run more than once
 * in a test process) and silences its own messages.
 * cli_option_error() reports the option getopt_long() refused, @c being
 * what it returned (':' for a missing value, '?' for an unknown option),
 * through cli_usage_error(), and returns CLI_EXIT_USAGE.
 */
void cli_getopt_init(void);
int cli_option_error(const char *cmd, int c, char **argv);

#endif /* DUET_TOOLSTACK_CLI_H */

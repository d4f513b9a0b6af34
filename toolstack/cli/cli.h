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

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

int cli_sim(int argc, char **argv);
int cli_platform(int argc, char **argv);
int cli_attach(int argc, char **argv);
int cli_detach(int argc, char **argv);

/**
 * cli_usage_error() - print "duet <cmd>: <reason>" and a hint to stderr;
 * returns CLI_EXIT_USAGE so callers can "return cli_usage_error(...)".
 */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* DUET_TOOLSTACK_CLI_H */

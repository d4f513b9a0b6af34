/* SPDX-License-Identifier: MIT */
/*
 * toolstack/cli/cmd-sim.h - pieces of "duet sim" shared between its files.
 */
#ifndef DUET_TOOLSTACK_CLI_CMD_SIM_H
#define DUET_TOOLSTACK_CLI_CMD_SIM_H

/*
 * cli_sim_parse_domid() - a DOMID argument: decimal, below 0x7ff0.
 * Return: the domid, or -1 when @s is not one.
 */
int cli_sim_parse_domid(const char *s);

/*
 * cli_sim_tool() - the hidden "duet sim" subcommands used by the demo and
 * the tests (share-page, map-page, evtchn-ping, evtchn-pong).  They run in
 * the domain given by the environment (duet sim exec / env).
 * @name: the subcommand; @npos/@pos: positional arguments, pos[0] = name;
 * @ro: --ro was given.
 * Return: the exit status, or -1 when @name is not a tool.
 */
int cli_sim_tool(const char *name, int npos, char **pos, int ro);

#endif /* DUET_TOOLSTACK_CLI_CMD_SIM_H */

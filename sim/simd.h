/* SPDX-License-Identifier: MIT */
/*
 * sim/simd.h - the simulator daemon: domains, grant tables, event channels
 * and page transfer behind the control sockets of
 * gnttab/platform-sim-wire.h, plus the xenstore server of sim/xsd.h.
 *
 * Threading: one thread, one epoll loop (simd_run()).  Nothing blocks
 * except the admin operations that spawn "ip netns".  Every request from a
 * client is validated; a malformed one gets an error reply, never a crash.
 *
 * The same daemon runs inside "duet sim start" and inside the unit tests
 * (which fork and call simd_create() + simd_run() in the child).
 */
#ifndef DUET_SIM_SIMD_H
#define DUET_SIM_SIMD_H

#include <stdint.h>

struct simd;

/* Defaults, like Xen's gnttab_max_frames and the 2-level evtchn ABI. */
#define SIMD_DEF_GRANT_FRAMES 64u
#define SIMD_GNT_PER_FRAME 512u           /* v1 entries are 8 bytes */
#define SIMD_GNT_RESERVED 8u              /* refs 0..7, as in Linux */
#define SIMD_DEF_PORTS 4096u
#define SIMD_MAX_DOMS 1024u               /* domids 0..1023 */

/*
 * struct simd_opts - how to start the daemon.
 * @dir:          the simulator directory (exists; sockets go in it).
 * @grant_frames: grant-table frames per domain (0: SIMD_DEF_GRANT_FRAMES);
 *                each frame holds SIMD_GNT_PER_FRAME entries.
 * @ports:        event-channel ports per domain (0: SIMD_DEF_PORTS).
 * @xenstored:    the real daemon the xenstore server behaves like: an
 *                enum simxsd_flavour (sim/xsd.h); 0 is oxenstored.
 */
struct simd_opts {
	const char *dir;
	unsigned grant_frames;
	unsigned ports;
	int xenstored;
};

/*
 * simd_create() - create the daemon: dom0, its control and xenstore
 * sockets, the signalfd for SIGTERM/SIGINT (those signals are blocked in
 * the calling thread).
 * @o:   options; @o->dir is copied.
 * @out: receives the daemon, owned by the caller (simd_destroy()).
 * Return: 0, -ENAMETOOLONG for a directory too long for socket paths,
 * -ENOMEM, -errno from socket setup.  Nothing is left behind on error.
 */
int simd_create(const struct simd_opts *o, struct simd **out);

/*
 * simd_run() - serve until a STOP request, SIGTERM or SIGINT.
 * Return: 0 on a clean stop, -errno if epoll itself failed.
 */
int simd_run(struct simd *d);

/*
 * simd_destroy() - destroy every domain (their network namespaces too),
 * close and unlink every socket, free @d.  NULL is ignored.
 */
void simd_destroy(struct simd *d);

#endif /* DUET_SIM_SIMD_H */

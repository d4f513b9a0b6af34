#!/bin/sh
# blk-reconnect-daemon.sh - blk-reconnect.sh with the real backend daemon:
# `duet backend` serves domain 1's disk, its per-device instance process
# is killed (kill -9) mid-I/O 5 times, the daemon restarts it after its
# back-off, and blkfront reconnects each time; no I/O fails and the
# checksums of the acknowledged writes are verified.
BLK_RECONNECT_DAEMON=1 exec sh "$(dirname "$0")/blk-reconnect.sh" "$@"

/* SPDX-License-Identifier: MIT */
/*
 * blkfront never trusts the backend: a bad status fails that I/O only and
 * the device goes on; a response with an unknown or stale (duplicate) id,
 * the wrong operation, or a producer index past the requests fails the
 * I/O in flight with -EPROTO, closes the device, and crashes nothing.
 */
#include "tap.h"
#include "lib/sback.h"

#define DISK (1u << 20)

static struct duet_platform *p0, *p1;
static unsigned d1;

static void status_case(int mode, int want, const char *name)
{
	struct duet_blkfront *bf;
	struct sback sb;
	char buf[8192];

	sb_defaults(&sb);
	sb_start(&sb, p0, d1, DISK);
	if (duet_blkfront_open(p1, sb.fe, NULL, &bf) < 0) {
		ok(0, "%s: open", name);
		sb_stop(&sb);
		return;
	}
	memset(buf, 0x42, sizeof(buf));
	is_int(duet_blkfront_pwrite(bf, buf, sizeof(buf), 0), 0,
	       "%s: a fair write first", name);
	atomic_store(&sb.hostile, mode);
	is_int(duet_blkfront_pread(bf, buf, sizeof(buf), 0), want,
	       "%s: that read fails with %d", name, want);
	memset(buf, 0, sizeof(buf));
	ok(duet_blkfront_pread(bf, buf, sizeof(buf), 0) == 0 &&
	   buf[0] == 0x42 && buf[8191] == 0x42,
	   "%s: the next read works", name);
	duet_blkfront_close(bf);
	sb_stop(&sb);
}

static void violation_case(int mode, const char *name)
{
	struct duet_blkfront_info in;
	struct duet_blkfront *bf;
	struct sback sb;
	char buf[8192];
	int st;

	sb_defaults(&sb);
	sb_start(&sb, p0, d1, DISK);
	if (duet_blkfront_open(p1, sb.fe, NULL, &bf) < 0) {
		ok(0, "%s: open", name);
		sb_stop(&sb);
		return;
	}
	memset(buf, 0x42, sizeof(buf));
	is_int(duet_blkfront_pwrite(bf, buf, sizeof(buf), 0), 0,
	       "%s: a fair write first", name);
	atomic_store(&sb.hostile, mode);
	is_int(duet_blkfront_pread(bf, buf, sizeof(buf), 0), -EPROTO,
	       "%s: the I/O in flight fails with -EPROTO", name);
	is_int(duet_blkfront_pread(bf, buf, 512, 0), -ESHUTDOWN,
	       "%s: the device refuses more I/O", name);
	duet_blkfront_get_info(bf, &in);
	st = sb_fe_state(&sb);
	ok(!in.connected && (st == DUET_XENBUS_CLOSING ||
			     st == DUET_XENBUS_CLOSED),
	   "%s: rings dropped, XenBus closing (state %d)", name, st);
	duet_blkfront_close(bf);
	is_int(sb_fe_state(&sb), DUET_XENBUS_CLOSED, "%s: closed", name);
	sb_stop(&sb);
}

int main(void)
{
	simtest_start(0);
	p0 = simtest_open(0);
	d1 = simtest_domain("fe");
	p1 = simtest_open(d1);
	duet_log_set_level(DUET_LOG_ERR);

	status_case(SB_BAD_STATUS, -EIO, "BLKIF_RSP_ERROR");
	status_case(SB_ODD_STATUS, -EIO, "status 77");
	status_case(SB_EOPNOTSUPP, -EOPNOTSUPP, "BLKIF_RSP_EOPNOTSUPP");
	violation_case(SB_UNKNOWN_ID, "unknown id");
	violation_case(SB_STALE_ID, "duplicate (stale) id");
	violation_case(SB_WRONG_OP, "wrong operation");
	violation_case(SB_BEYOND, "rsp_prod beyond the requests");

	duet_platform_close(p1);
	duet_platform_close(p0);
	return done_testing();
}

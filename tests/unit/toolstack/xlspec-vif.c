/* SPDX-License-Identifier: MIT */
/*
 * The xl network spec parser: the man page's examples, every key, rate=
 * as libxl computes it, and each class of malformed spec refused with a
 * reason naming the bad part.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "duet/xlspec.h"
#include "tap.h"

static char err[256];

static int parse_ok(const char *spec, struct duet_xl_vif *v)
{
	int rc = duet_xl_vif_parse(spec, v, err, sizeof(err));

	if (!ok(rc == 0, "parses: '%s'", spec))
		diag("rc %d: %s", rc, err);
	return rc;
}

static void parse_bad(const char *spec, const char *needle)
{
	struct duet_xl_vif v;
	int rc = duet_xl_vif_parse(spec, &v, err, sizeof(err));

	if (!ok(rc == -EINVAL && strstr(err, needle) && !strchr(err, '\n'),
		"refused: '%s' -> reason names '%s'", spec, needle))
		diag("rc %d, reason '%s'", rc, err);
	ok(v.storage_ == NULL, "  nothing left to release");
}

static void man_page_examples(void)
{
	struct duet_xl_vif v;
	static const uint8_t mac1[6] = { 0x00, 0x16, 0x3e, 0x74, 0x3d, 0x76 };

	if (!parse_ok("mac=00:16:3E:74:3d:76,model=rtl8139,bridge=xenbr0",
		      &v)) {
		ok(v.mac_set && !memcmp(v.mac, mac1, 6), "  mac, any case");
		is_str(v.bridge, "xenbr0", "  bridge");
		is_int(v.mtu, 1500, "  mtu default");
		is_int(v.devid, -1, "  devid chosen at attach");
		ok(v.rate_interval_usecs == 0, "  no rate limit");
		duet_xl_vif_release(&v);
	}
	if (!parse_ok("", &v)) {
		ok(!v.mac_set && !v.bridge && !v.script && !v.backend,
		   "  the empty spec: every default");
		is_int(v.backend_domid, 0, "  backend dom0");
		is_int(v.type, DUET_XL_VIF_TYPE_DEFAULT, "  type default");
		duet_xl_vif_release(&v);
	}
}

static void every_key(void)
{
	struct duet_xl_vif v;

	if (!parse_ok(" mac=0:16:3e:1:2:a, bridge=br0,ip=10.0.0.2 fe80::1/64,"
		      "backend=2,type=vif,vifname=vif5.0,script=vif-route,"
		      "netdev=eth0,mtu=9000,rate=10Mb/s,devid=3,accel=x,,",
		      &v)) {
		ok(v.mac[0] == 0 && v.mac[3] == 1 && v.mac[5] == 0xa,
		   "  one-digit MAC groups as xl reads them");
		is_str(v.bridge, "br0", "  bridge");
		is_str(v.ip, "10.0.0.2 fe80::1/64", "  ip list");
		is_str(v.backend, "2", "  backend");
		is_int(v.backend_domid, 2, "  backend domid");
		is_int(v.type, DUET_XL_VIF_TYPE_VIF, "  type");
		is_str(v.vifname, "vif5.0", "  vifname");
		is_str(v.script, "vif-route", "  script");
		is_str(v.gatewaydev, "eth0", "  netdev is gatewaydev");
		is_int(v.mtu, 9000, "  mtu");
		is_int(v.devid, 3, "  devid");
		is_int(v.rate_interval_usecs, 50000, "  default interval 50ms");
		is_int(v.rate_bytes_per_interval, 62500,
		       "  10Mb/s = 1.25 MB/s = 62500 B per 50ms");
		duet_xl_vif_release(&v);
	}
	if (!parse_ok("backend=netdd,type=ioemu", &v)) {
		is_int(v.backend_domid, -1, "  backend by name");
		is_int(v.type, DUET_XL_VIF_TYPE_IOEMU, "  ioemu");
		duet_xl_vif_release(&v);
	}
}

static void rates(void)
{
	static const struct {
		const char *rate;
		uint64_t bytes;
		uint32_t usecs;
	} t[] = {
		{ "10Mb/s", 62500, 50000 },
		{ "250KB/s", 12500, 50000 },
		{ "1MB/s@20ms", 20000, 20000 },
		{ "1GB/s@1s", 1000000000, 1000000 },
		{ "8b/s@2", 2, 2000000 },
		{ "1000B/s@500us", 0, 500 },
		{ "4294967295GB/s@1us", 4294967295000ull, 1 },
	};
	uint64_t bytes;
	uint32_t usecs;
	unsigned i;
	int rc;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		rc = duet_xl_vif_parse_rate(t[i].rate, &bytes, &usecs, err,
					    sizeof(err));
		ok(rc == 0 && bytes == t[i].bytes && usecs == t[i].usecs,
		   "rate %s = %llu bytes per %u us", t[i].rate,
		   (unsigned long long)t[i].bytes, t[i].usecs);
	}
}

static void malformed(void)
{
	parse_bad("mac=00:16:3e:74:3d", "mac=\"00:16:3e:74:3d\"");
	parse_bad("mac=00:16:3e:74:3d:76:11", "not a MAC address");
	parse_bad("mac=00-16-3e-74-3d-76", "not a MAC address");
	parse_bad("mac=00:16:3e:74:3d:7g", "not a MAC address");
	parse_bad("mac=001:16:3e:74:3d:76", "not a MAC address");
	parse_bad("mac=01:16:3e:74:3d:76", "multicast");
	parse_bad("bridge=xenbr0,colour=red", "unknown parameter \"colour\"");
	parse_bad("xenbr0", "\"xenbr0\" is not key=value");
	parse_bad("bridge=a,bridge=b", "bridge respecified");
	parse_bad("mtu=67", "mtu=\"67\": out of range");
	parse_bad("mtu=65536", "mtu=\"65536\": out of range");
	parse_bad("mtu=1500x", "mtu=\"1500x\"");
	parse_bad("mtu=", "mtu=\"\"");
	parse_bad("rate=10Mb", "rate=\"10Mb\": bad rate");
	parse_bad("rate=10Mbit/s", "bad rate");
	parse_bad("rate=10TB/s", "bad rate");
	parse_bad("rate=", "no rate given");
	parse_bad("rate=@20ms", "no rate given");
	parse_bad("rate=0MB/s", "rate out of range");
	parse_bad("rate=4294967296B/s", "rate out of range");
	parse_bad("rate=1MB/s@", "bad interval");
	parse_bad("rate=1MB/s@20ns", "bad interval");
	parse_bad("rate=1MB/s@0ms", "interval out of range");
	parse_bad("rate=1MB/s@4295s", "interval out of range");
	parse_bad("type=pv", "type=\"pv\"");
	parse_bad("vifname=a-very-long-ifname", "vifname=\"a-very-long");
	parse_bad("bridge=br/0", "not an interface name");
	parse_bad("ip=10.0.0.300", "\"10.0.0.300\" is not an IPv4");
	parse_bad("ip=10.0.0.1/33", "is not an IPv4");
	parse_bad("ip=", "ip=: no address");
	parse_bad("backend=", "backend: empty");
	parse_bad("backend=99999", "backend=\"99999\"");
	parse_bad("devid=-1", "devid=\"-1\"");
	parse_bad("script=", "script=: empty");
	parse_bad("colo_sock_mirror_id=1", "COLO is not supported");
	parse_bad("bridge=br0\n", "control character");
}

static void long_spec(void)
{
	char *big = malloc(DUET_XL_SPEC_MAX + 2);

	if (!big)
		return;
	memset(big, 'a', DUET_XL_SPEC_MAX + 1);
	big[DUET_XL_SPEC_MAX + 1] = '\0';
	parse_bad(big, "longer than 4096 bytes");
	big[DUET_XL_SPEC_MAX] = '\0';
	memcpy(big, "script=", 7);
	{
		struct duet_xl_vif v;

		if (!parse_ok(big, &v)) {
			is_int(strlen(v.script), DUET_XL_SPEC_MAX - 7,
			       "  a 4 KiB script value is kept whole");
			duet_xl_vif_release(&v);
		}
	}
	free(big);
}

int main(void)
{
	man_page_examples();
	every_key();
	rates();
	malformed();
	long_spec();
	return done_testing();
}

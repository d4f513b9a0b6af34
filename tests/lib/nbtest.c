/* SPDX-License-Identifier: MIT */
/*
 * nbtest.c - the test code declared in nbtest.h, built once into
 * libduet-test.a.
 */
#include "lib/nbtest.h"

unsigned nbt_fe_dom, nbt_be_dom;

const char *nbt_fe_flags[4];

void (*nbt_fe_hook)(struct nbt_vif *v);

const char *nbt_be_nodes[4];

struct duet_platform *nbt_p0, *nbt_pfe;
int nbt_split;

struct duet_xs *nbt_xs0, *nbt_xsfe;

void nbt_start(void)
{
	if (geteuid() != 0)
		skip_all("needs root (TAP devices)");
	if (access("/dev/net/tun", R_OK | W_OK) < 0)
		skip_all("no /dev/net/tun");
	simtest_start(0);
	nbt_fe_dom = simtest_domain("guest");
	nbt_be_dom = simtest_domain("netdd");
	nbt_p0 = simtest_open(0);
	nbt_pfe = simtest_open(nbt_fe_dom);
	if (duet_xs_open(nbt_p0, &nbt_xs0) < 0 ||
	    duet_xs_open(nbt_pfe, &nbt_xsfe) < 0) {
		printf("Bail out! no xenstore\n");
		exit(1);
	}
}

const char *nbt_read(const char *path)
{
	static char buf[128];
	char *v = NULL;

	buf[0] = '\0';
	if (duet_xs_read(nbt_xs0, DUET_XS_NO_TX, path, &v) >= 0)
		snprintf(buf, sizeof(buf), "%s", v);
	free(v);
	return buf;
}

int nbt_wait(const char *dir, const char *node,
	     const char *want, int ms)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", dir, node);
	while (strcmp(nbt_read(path), want) && ms > 0) {
		usleep(10000);
		ms -= 10;
	}
	return !strcmp(nbt_read(path), want);
}

int nbt_fe_write(struct nbt_vif *v, const char *node,
		 unsigned val)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", v->fe, node);
	return duet_xs_printf(nbt_xsfe, DUET_XS_NO_TX, path, "%u", val);
}

/* The netback instance: the backend domain's own handles, then serve(). */
static void nbt_backend_child(struct nbt_vif *v)
{
	struct duet_backend_ctx ctx;
	struct duet_platform *p = simtest_open(nbt_be_dom);
	struct duet_xs *xs;

	duet_log_set_level(DUET_LOG_ERR);
	if (duet_xs_open(p, &xs) < 0)
		_exit(3);
	memset(&ctx, 0, sizeof(ctx));
	ctx.platform = p;
	ctx.xs = xs;
	ctx.type = "vif";
	ctx.dir = v->be;
	ctx.self_domid = nbt_be_dom;
	ctx.frontend_domid = nbt_fe_dom;
	ctx.devid = v->devid;
	ctx.stop_fd = -1;
	_exit(duet_netback_serve(&ctx) < 0 ? 1 : 0);
}

void nbt_vif_spec(struct nbt_vif *v, unsigned devid,
		  const char *spec_extra)
{
	struct duet_xl_vif xv;
	char spec[256], err[128];
	duet_grant_ref_t ref;
	int rc;

	memset(v, 0, sizeof(*v));
	v->devid = devid;
	snprintf(v->ifname, sizeof(v->ifname), "nbt%d.%u", (int)getpid() %
		 100000, devid);
	snprintf(spec, sizeof(spec), "backend=%u,devid=%u,vifname=%s%s%s",
		 nbt_be_dom, devid, v->ifname, spec_extra[0] ? "," : "",
		 spec_extra);
	if (duet_xl_vif_parse(spec, &xv, err, sizeof(err)) < 0 ||
	    duet_xl_vif_attach(nbt_xs0, nbt_fe_dom, &xv, NULL) < 0) {
		printf("Bail out! attach '%s': %s\n", spec, err);
		exit(1);
	}
	duet_xl_vif_release(&xv);
	snprintf(v->fe, sizeof(v->fe), "/local/domain/%u/device/vif/%u",
		 nbt_fe_dom, devid);
	snprintf(v->be, sizeof(v->be), "/local/domain/%u/backend/vif/%u/%u",
		 nbt_be_dom, nbt_fe_dom, devid);
	for (unsigned i = 0; nbt_be_nodes[i]; i++) {
		const char *eq = strchr(nbt_be_nodes[i], '=');

		snprintf(spec, sizeof(spec), "%s/%.*s", v->be,
			 (int)(eq - nbt_be_nodes[i]), nbt_be_nodes[i]);
		if (duet_xs_write(nbt_xs0, DUET_XS_NO_TX, spec, eq + 1) < 0) {
			printf("Bail out! cannot write %s\n", spec);
			exit(1);
		}
	}
	fflush(stdout);
	v->pid = fork();
	if (v->pid == 0)
		nbt_backend_child(v);
	if (!nbt_wait(v->be, "state", "2", 5000)) {
		printf("Bail out! netback did not reach InitWait\n");
		exit(1);
	}
	rc = duet_gnt_share(nbt_pfe, (duet_domid_t)nbt_be_dom, 1, 0, &ref,
			    &v->tx_sring);
	rc = rc ?: duet_ring_attach(duet_ring_desc_get(DUET_RING_NETIF_TX),
				    DUET_RING_FRONT, v->tx_sring, 0, &v->tx);
	rc = rc ?: nbt_fe_write(v, "tx-ring-ref", ref);
	rc = rc ?: duet_gnt_share(nbt_pfe, (duet_domid_t)nbt_be_dom, 1, 0,
				  &ref, &v->rx_sring);
	rc = rc ?: duet_ring_attach(duet_ring_desc_get(DUET_RING_NETIF_RX),
				    DUET_RING_FRONT, v->rx_sring, 0, &v->rx);
	rc = rc ?: nbt_fe_write(v, "rx-ring-ref", ref);
	rc = rc ?: duet_gnt_share(nbt_pfe, (duet_domid_t)nbt_be_dom,
				  NBT_PAGES, DUET_GNT_READONLY, v->refs,
				  (void **)&v->pages);
	rc = rc ?: duet_gnt_share(nbt_pfe, (duet_domid_t)nbt_be_dom,
				  NBT_PAGES, 0, v->rx_refs,
				  (void **)&v->rx_pages);
	rc = rc ?: duet_evtchn_open(nbt_pfe, &v->evt);
	if (!rc) {
		v->port = duet_evtchn_alloc_unbound(v->evt,
						    (duet_domid_t)nbt_be_dom);
		rc = v->port < 0 ? v->port : 0;
	}
	v->rx_port = v->port;
	if (!rc && nbt_split) {
		v->rx_port = duet_evtchn_alloc_unbound(v->evt,
						       (duet_domid_t)nbt_be_dom);
		rc = v->rx_port < 0 ? v->rx_port : 0;
		rc = rc ?: nbt_fe_write(v, "event-channel-tx",
					(unsigned)v->port);
		rc = rc ?: nbt_fe_write(v, "event-channel-rx",
					(unsigned)v->rx_port);
	} else {
		rc = rc ?: nbt_fe_write(v, "event-channel", (unsigned)v->port);
	}
	rc = rc ?: nbt_fe_write(v, "request-rx-copy", 1);
	rc = rc ?: nbt_fe_write(v, "feature-sg", 1);
	rc = rc ?: nbt_fe_write(v, "feature-rx-notify", 1);
	for (unsigned i = 0; nbt_fe_flags[i]; i++)
		rc = rc ?: nbt_fe_write(v, nbt_fe_flags[i], 1);
	if (!rc && nbt_fe_hook)
		nbt_fe_hook(v);
	rc = rc ?: nbt_fe_write(v, "state", DUET_XENBUS_INITIALISED);
	if (rc < 0 || !nbt_wait(v->be, "state", "4", 5000)) {
		printf("Bail out! vif %u did not connect (%d)\n", devid, rc);
		exit(1);
	}
}

void nbt_vif(struct nbt_vif *v, unsigned devid)
{
	nbt_vif_spec(v, devid, "");
}

void nbt_stop(struct nbt_vif *v)
{
	if (v->pid > 0) {
		kill(v->pid, SIGKILL);
		waitpid(v->pid, NULL, 0);
		v->pid = 0;
	}
	duet_ring_detach(v->tx);
	duet_ring_detach(v->rx);
	v->tx = v->rx = NULL;
	duet_evtchn_close(v->evt);
	v->evt = NULL;
}

int nbt_alive(struct nbt_vif *v)
{
	return v->pid > 0 && waitpid(v->pid, NULL, WNOHANG) == 0;
}

void nbt_put(struct nbt_vif *v, uint16_t id, unsigned page,
	     uint16_t offset, uint16_t size, uint16_t flags)
{
	struct netif_tx_request r;

	memset(&r, 0, sizeof(r));
	r.gref = page < NBT_PAGES ? v->refs[page] : page;
	r.offset = offset;
	r.flags = flags;
	r.id = id;
	r.size = size;
	duet_ring_front_put_req(v->tx, &r);
}

void nbt_put_extra(struct nbt_vif *v,
		   const struct netif_extra_info *ex)
{
	struct netif_tx_request r;

	memset(&r, 0, sizeof(r));
	memcpy(&r, ex, sizeof(*ex));
	duet_ring_front_put_req(v->tx, &r);
}

void nbt_push(struct nbt_vif *v)
{
	duet_ring_front_push(v->tx);
	duet_evtchn_notify(v->evt, (duet_evtchn_port_t)v->port);
}

void nbt_wait_event(struct nbt_vif *v)
{
	int port = simtest_wait_event(v->evt, 50);

	if (port >= 0)
		duet_evtchn_unmask(v->evt, (duet_evtchn_port_t)port);
}

int nbt_collect(struct nbt_vif *v, struct duet_ring *r,
		void *rsp, size_t size, int max, int ms)
{
	uint8_t *out = rsp;
	int n = 0;

	while (n < max && ms > 0) {
		while (n < max &&
		       duet_ring_front_get_rsp(r, out + (size_t)n * size) == 1)
			n++;
		if (n == max)
			break;
		nbt_wait_event(v);
		ms -= 50;
	}
	return n;
}

int nbt_responses(struct nbt_vif *v,
		  struct netif_tx_response *rsp, int max, int ms)
{
	return nbt_collect(v, v->tx, rsp, sizeof(*rsp), max, ms);
}

void nbt_frame(struct nbt_vif *v, unsigned page, unsigned off,
	       unsigned len)
{
	uint8_t *f = v->pages + (size_t)page * DUET_PAGE_SIZE + off;

	memset(f, 0xff, 6);
	memcpy(f + 6, "\x00\x16\x3e\x00\x00\x09", 6);
	f[12] = 0x88; /* a local experimental ethertype: 0x88b5 */
	f[13] = 0xb5;
	memset(f + 14, 0x5a, len - 14);
}

int nbt_send_raw(struct nbt_vif *v, const void *f, size_t len)
{
	struct sockaddr_ll sll;
	int s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	ssize_t n;

	if (s < 0)
		return -errno;
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)if_nametoindex(v->ifname);
	sll.sll_halen = 6;
	n = sendto(s, f, len, 0, (struct sockaddr *)&sll, sizeof(sll));
	close(s);
	return n == (ssize_t)len ? 0 : -EIO;
}

void nbt_post_rx(struct nbt_vif *v, unsigned n)
{
	struct netif_rx_request r;

	while (n-- && duet_ring_front_free(v->rx) > 0) {
		unsigned slot = duet_ring_front_slot(v->rx);

		memset(&r, 0, sizeof(r));
		r.id = (uint16_t)slot;
		r.gref = v->rx_refs[slot % NBT_PAGES];
		duet_ring_front_put_req(v->rx, &r);
	}
	if (duet_ring_front_push(v->rx) > 0)
		duet_evtchn_notify(v->evt, (duet_evtchn_port_t)v->rx_port);
}

void nbt_post_rx_ids(struct nbt_vif *v, unsigned n, int bad_slot)
{
	struct netif_rx_request r;
	unsigned i;

	for (i = 0; i < n; i++) {
		unsigned slot = duet_ring_front_slot(v->rx);

		memset(&r, 0, sizeof(r));
		r.id = (uint16_t)(100 + slot);
		r.gref = (int)slot == bad_slot ? 99999 : v->rx_refs[slot];
		duet_ring_front_put_req(v->rx, &r);
	}
	if (duet_ring_front_push(v->rx) > 0)
		duet_evtchn_notify(v->evt, (duet_evtchn_port_t)v->rx_port);
}

int nbt_rx_responses(struct nbt_vif *v, struct netif_rx_response *rsp,
		     int max, int ms)
{
	return nbt_collect(v, v->rx, rsp, sizeof(*rsp), max, ms);
}

unsigned nbt_rx_drain(struct nbt_vif *v)
{
	struct netif_rx_response rsp[8];
	unsigned got = 0;
	int n;

	nbt_post_rx_ids(v, 8, -1);
	while ((n = nbt_rx_responses(v, rsp, 8, 300)) > 0)
		got += (unsigned)n;
	return got;
}

void nbt_no_ipv6(struct nbt_vif *v)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
		 v->ifname);
	f = fopen(path, "w");
	if (f) {
		fputs("1", f);
		fclose(f);
	}
}

long nbt_tap_frames(struct nbt_vif *v)
{
	char path[128];
	long n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/statistics/rx_packets",
		 v->ifname);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

int nbt_good_packet(struct nbt_vif *v, uint16_t id)
{
	struct netif_tx_response rsp;
	long before = nbt_tap_frames(v);
	int i;

	nbt_frame(v, 0, 0, 60);
	nbt_put(v, id, 0, 0, 60, 0);
	nbt_push(v);
	if (nbt_responses(v, &rsp, 1, 2000) != 1 || rsp.id != id ||
	    rsp.status != NETIF_RSP_OKAY)
		return 0;
	for (i = 0; i < 100 && nbt_tap_frames(v) <= before; i++)
		usleep(10000);
	return nbt_tap_frames(v) == before + 1;
}

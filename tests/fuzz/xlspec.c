/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: xl disk and network specs are hostile input (config
 * files, command lines).  Both parsers, the vdev encoder and the rate
 * parser get every input as a string; whatever it holds they must not
 * crash, overflow or leak, must finish in time linear in its length, and
 * must either succeed with consistent fields or fail with -EINVAL and a
 * one-line, NUL-terminated reason that fits the caller's buffer.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "duet/xlspec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_reason(int rc, const char *err, size_t errlen)
{
	size_t n = strnlen(err, errlen);

	if (n >= errlen)
		abort(); /* not terminated inside the buffer */
	if (rc == 0 && n != 0)
		abort(); /* success leaves no reason */
	if (rc == -EINVAL && (n == 0 || memchr(err, '\n', n)))
		abort(); /* a failure has exactly one line of reason */
	if (rc != 0 && rc != -EINVAL && rc != -ENOMEM)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct duet_xl_disk d;
	struct duet_xl_vif v;
	char err[96];
	char *s;
	uint64_t bytes;
	uint32_t usecs;
	int rc, disk, part;

	s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';

	/* a small reason buffer: long reasons must be cut, not overflow */
	rc = duet_xl_disk_parse(s, &d, err, sizeof(err));
	check_reason(rc, err, sizeof(err));
	if (rc == 0) {
		if (!d.target || !d.vdev || d.virtual_device < 0)
			abort();
		if (duet_xl_vdev_encode(d.vdev, NULL, NULL) !=
		    d.virtual_device)
			abort();
		if (d.format == DUET_XL_FORMAT_EMPTY && !d.is_cdrom)
			abort();
		duet_xl_disk_release(&d);
	}

	rc = duet_xl_vif_parse(s, &v, err, sizeof(err));
	check_reason(rc, err, sizeof(err));
	if (rc == 0) {
		if (v.mtu < DUET_XL_VIF_MTU_MIN || v.mtu > DUET_XL_VIF_MTU_MAX)
			abort();
		if (v.mac_set && (v.mac[0] & 1))
			abort();
		duet_xl_vif_release(&v);
	}

	rc = duet_xl_vdev_encode(s, &disk, &part);
	if (rc < -EINVAL || (rc >= 0 && part > 255))
		abort();

	rc = duet_xl_vif_parse_rate(s, &bytes, &usecs, err, sizeof(err));
	check_reason(rc, err, sizeof(err));
	if (rc == 0 && usecs == 0)
		abort();

	free(s);
	return 0;
}

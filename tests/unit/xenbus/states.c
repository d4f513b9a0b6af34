/* SPDX-License-Identifier: MIT */
/*
 * The XenBus state machine: every (role, from, to) triple is checked
 * against the transitions written out below, so a change to the table is
 * a change to this list.
 */
#include "duet/xenbus.h"
#include "tap.h"

/* role: F = frontend only, B = backend only, * = both. */
static const struct {
	int from, to;
	char role;
} legal[] = {
	{ 0, 1, '*' }, { 0, 6, '*' },
	{ 1, 2, 'B' }, { 1, 3, 'F' }, { 1, 4, 'F' }, { 1, 5, '*' },
	{ 1, 6, '*' },
	{ 2, 4, 'B' }, { 2, 5, 'B' }, { 2, 6, 'B' },
	{ 3, 4, 'F' }, { 3, 5, 'F' }, { 3, 6, 'F' },
	{ 4, 5, '*' }, { 4, 7, '*' },
	{ 5, 6, '*' },
	{ 6, 1, '*' }, { 6, 2, 'B' },
	{ 7, 8, '*' }, { 7, 5, '*' },
	{ 8, 4, '*' }, { 8, 5, '*' },
};

static int expect(int role, int from, int to)
{
	size_t i;

	if (from == to)
		return 1;
	for (i = 0; i < sizeof(legal) / sizeof(legal[0]); i++) {
		if (legal[i].from != from || legal[i].to != to)
			continue;
		return legal[i].role == '*' ||
		       (legal[i].role == 'F' && role == DUET_XENBUS_FRONTEND) ||
		       (legal[i].role == 'B' && role == DUET_XENBUS_BACKEND);
	}
	return 0;
}

int main(void)
{
	int role, from, to, wrong;

	for (role = 0; role < 2; role++) {
		wrong = 0;
		for (from = 0; from <= 8; from++)
			for (to = 0; to <= 8; to++)
				if (duet_xenbus_transition_ok(role, from, to) !=
				    expect(role, from, to)) {
					diag("role %d %s -> %s", role,
					     duet_xenbus_state_name(from),
					     duet_xenbus_state_name(to));
					wrong++;
				}
		is_int(wrong, 0, "%s: all 81 transitions as specified",
		       role ? "backend" : "frontend");
	}
	ok(!duet_xenbus_transition_ok(DUET_XENBUS_FRONTEND, 4, 1),
	   "frontend cannot go Connected -> Initialising without closing");
	ok(!duet_xenbus_transition_ok(DUET_XENBUS_BACKEND, 1, 3),
	   "backend never enters Initialised (a frontend state)");
	ok(!duet_xenbus_transition_ok(DUET_XENBUS_FRONTEND, 1, 2),
	   "frontend never enters InitWait (a backend state)");
	ok(!duet_xenbus_transition_ok(DUET_XENBUS_BACKEND, 6, 4),
	   "Closed -> Connected is refused");
	ok(!duet_xenbus_transition_ok(DUET_XENBUS_BACKEND, 5, 4),
	   "Closing -> Connected is refused");
	ok(!duet_xenbus_transition_ok(DUET_XENBUS_BACKEND, 4, 9),
	   "state 9 does not exist");
	ok(!duet_xenbus_transition_ok(DUET_XENBUS_BACKEND, -1, 1),
	   "negative state is refused");
	ok(!duet_xenbus_transition_ok((enum duet_xenbus_role)7, 0, 1),
	   "an unknown role is refused");
	is_str(duet_xenbus_state_name(4), "Connected", "state 4 is Connected");
	is_str(duet_xenbus_state_name(42), "invalid", "state 42 is invalid");
	return done_testing();
}

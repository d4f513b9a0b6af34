#!/bin/bash
# Write a series into patches/<name>/ from the git tree it was made in:
#
#   tests/patches/export-series.sh TREE RANGE patches/<name> [BLURB]
#
# git format-patch --cover-letter --subject-prefix="$PREFIX" (default
# "RFC PATCH") of RANGE (e.g. base..HEAD) in TREE.  The cover letter keeps
# the subject and text of the existing patches/<name>/0000-cover-letter.patch
# (or takes them from BLURB: first line the subject, then the text) and gets
# git's fresh shortlog and diffstat.
set -euo pipefail
tree=$1 range=$2 dir=$3 blurb=${4:-}
PREFIX=${PREFIX:-RFC PATCH}
cover=$dir/0000-cover-letter.patch
keep=$(mktemp)
trap 'rm -f "$keep"' EXIT

if [ -n "$blurb" ]; then
	cp "$blurb" "$keep"
elif [ -s "$cover" ]; then
	# Subject (unfolded, without the "[PREFIX 0/N] "), then the text up to
	# the shortlog's "Author (N):" line.
	python3 - "$cover" >"$keep" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
head, body = t.split("\n\n", 1)
subj = re.search(r"^Subject: (.*(?:\n .*)*)", head, re.M).group(1)
subj = re.sub(r"\n ", " ", subj)
subj = re.sub(r"^\[[^]]*\] ", "", subj)
m = re.search(r"^\S.* \(\d+\):$", body, re.M)
print(subj)
print(body[:m.start()].rstrip("\n"))
PY
else
	echo "export-series: no cover letter in $dir and no BLURB" >&2
	exit 1
fi

mkdir -p "$dir"
rm -f "$dir"/[0-9][0-9][0-9][0-9]-*.patch
git -C "$tree" format-patch -q --cover-letter --subject-prefix="$PREFIX" \
	-o "$(cd "$dir" && pwd)" "$range"
python3 - "$cover" "$keep" <<'PY'
import sys
cover, keep = sys.argv[1], sys.argv[2]
subj, text = open(keep).read().split("\n", 1)
t = open(cover).read()
t = t.replace("*** SUBJECT HERE ***", subj, 1)
t = t.replace("*** BLURB HERE ***", text.strip("\n"), 1)
open(cover, "w").write(t)
PY
ls "$dir"

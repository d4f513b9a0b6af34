# shellcheck shell=bash
# Shared by tests/patches/check.sh (make patches-check) and
# tests/patches/xen-kernel.sh (make xen-kernel): the kernel tree the series
# in patches/ are against, fetched and kept outside the repository.
#
#   DUET_KERNEL_CACHE      cache directory (default ~/.cache/duet-kernel)
#   LINUX_SOURCE_VERSION   Debian version of linux-source-6.1 the series are
#                          against (default 6.1.192-3, the lab's kernel)
#
# kernel_tree prints the path of a git repository of the unpacked source, one
# commit tagged "base", made once per version: fetching (apt-get download,
# 133 MiB) and unpacking take about a minute, the first commit of the 78,000
# files another 1.5 minutes on 2 cores.

KCACHE=${DUET_KERNEL_CACHE:-$HOME/.cache/duet-kernel}
LINUX_SOURCE_VERSION=${LINUX_SOURCE_VERSION:-6.1.192-3}

kmsg() { echo "# $*" >&2; }

# kernel_missing_tools: prints the build tools that are not installed.
kernel_missing_tools() {
	for t in flex bison pahole bc gcc make perl git xz; do
		command -v "$t" >/dev/null 2>&1 || printf '%s ' "$t"
	done
	[ -e /usr/include/libelf.h ] || printf 'libelf-dev '
	[ -e /usr/include/openssl/ssl.h ] || printf 'libssl-dev '
}

# kernel_fetch: the linux-source-6.1 .deb in the cache; prints its path.
kernel_fetch() {
	local deb="$KCACHE/linux-source-6.1_${LINUX_SOURCE_VERSION}_all.deb"

	mkdir -p "$KCACHE"
	if [ ! -s "$deb" ]; then
		kmsg "fetching linux-source-6.1=$LINUX_SOURCE_VERSION (apt-get download)"
		(cd "$KCACHE" &&
		 apt-get download -q "linux-source-6.1=$LINUX_SOURCE_VERSION" \
			>&2) || return 1
	fi
	echo "$deb"
}

# kernel_tree: the git repository of the base source; prints its path.
kernel_tree() {
	local tree="$KCACHE/linux-$LINUX_SOURCE_VERSION" deb tmp

	if [ -e "$tree/.duet-ready" ]; then
		echo "$tree"
		return 0
	fi
	mkdir -p "$KCACHE"
	# One unpack at a time (make patches-check and make xen-kernel).
	exec 8>"$KCACHE/.tree.lock"
	flock 8
	if [ -e "$tree/.duet-ready" ]; then
		exec 8>&-
		echo "$tree"
		return 0
	fi
	deb=$(kernel_fetch) || return 1
	kmsg "unpacking $(basename "$deb") into $tree"
	rm -rf "$tree" "$tree.tmp"
	tmp="$tree.tmp"
	mkdir -p "$tmp/deb"
	dpkg -x "$deb" "$tmp/deb" || return 1
	tar -C "$tmp" -xf "$tmp/deb/usr/src/linux-source-6.1.tar.xz" ||
		return 1
	mv "$tmp/linux-source-6.1" "$tree"
	rm -rf "$tmp"
	# Debian's top-level .gitignore ignores everything at the top ("/*"):
	# add with -f; later commits (git am) only touch tracked files.
	(cd "$tree" &&
	 git init -q &&
	 git config user.name "duet patches-check" &&
	 git config user.email "duet@localhost.invalid" &&
	 git config gc.auto 0 &&
	 git add -A -f &&
	 git commit -q -m "linux-source-6.1 $LINUX_SOURCE_VERSION" &&
	 git tag base) >&2 || return 1
	touch "$tree/.duet-ready"
	exec 8>&-
	echo "$tree"
}

# kernel_series: the series folders in patches/ (relative to the repo root).
kernel_series() {
	local d

	for d in patches/*/; do
		[ -e "$d/0000-cover-letter.patch" ] && echo "${d%/}"
	done
}

# kernel_series_patches DIR: the patches of one series, in order, without
# the cover letter.
kernel_series_patches() {
	local p

	for p in "$1"/[0-9][0-9][0-9][0-9]-*.patch; do
		[ "${p##*/}" = 0000-cover-letter.patch ] || echo "$p"
	done
}

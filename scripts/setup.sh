#!/bin/sh
# One idempotent install step; every top-level make target calls it first.
# It installs only what is missing, so a second call takes a second or two.
#
#   - Debian packages: QEMU, the stock kernel image and its kbuild headers
#     (the meta packages, so both move together), busybox, kmod, cpio, the
#     kernel source tarball (for checkpatch.pl and the debug kernel), and
#     for the packaging tests dkms, debhelper with dh-dkms, lintian,
#     fakeroot and systemd (systemd-analyze), ...
#   - npm ci, from the committed lockfile, when node_modules is stale.
#   - scripts/checkpatch.pl and its data files, from the source tarball.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
stamp=build/setup
mkdir -p "$stamp"

packages="qemu-system-x86 linux-image-amd64 linux-headers-amd64 busybox-static kmod cpio
	bc gcc make perl rsync xz-utils util-linux linux-source-6.1 dmsetup
	dkms debhelper dh-dkms dpkg-dev fakeroot lintian systemd"

# Another kernel series for the guest (make test KERNEL=6.12): Debian's meta
# packages of that series, image and headers together.
case "${MPOOL_KERNEL:-6.1}" in
6.1) ;;
*) packages="$packages linux-image-${MPOOL_KERNEL}-amd64 linux-headers-${MPOOL_KERNEL}-amd64" ;;
esac

# npm ci when the lockfile changed since the last install (or never ran),
# beside the Debian packages: it needs none of them, and both mostly wait
# on the network.
lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
npm_pid=
if [ ! -d node_modules ] || [ "$(cat "$stamp/npm" 2>/dev/null)" != "$lock_sum" ]; then
	echo "setup: npm ci"
	npm ci --no-audit --no-fund --loglevel=error > "$stamp/npm.log" 2>&1 &
	npm_pid=$!
fi

missing=
for p in $packages; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup: installing Debian packages:$missing"
	sudo_=
	[ "$(id -u)" = 0 ] || sudo_=sudo
	$sudo_ apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo_ apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

if [ -n "$npm_pid" ]; then
	if ! wait "$npm_pid"; then
		cat "$stamp/npm.log" >&2
		echo "setup: npm ci failed" >&2
		exit 1
	fi
	cat "$stamp/npm.log"
	echo "$lock_sum" > "$stamp/npm"
fi

# The stock guest kernel: image and kbuild tree of the same version.
if ! kver=$(scripts/kver.sh 2>/dev/null); then
	echo "setup: no kernel with both an image and a kbuild tree after install" >&2
	exit 1
fi

# checkpatch.pl ships in the kernel source tarball; take just what it needs.
cp_dir=build/tools/checkpatch
if [ ! -f "$cp_dir/checkpatch.pl" ]; then
	echo "setup: extracting checkpatch.pl from linux-source-6.1"
	tarball=$(ls /usr/src/linux-source-6.1.tar.* | head -n 1)
	tmp=$(mktemp -d)
	tar -C "$tmp" -xf "$tarball" --wildcards --strip-components=2 \
		'linux-source-6.1/scripts/checkpatch.pl' \
		'linux-source-6.1/scripts/spelling.txt' \
		'linux-source-6.1/scripts/const_structs.checkpatch'
	mkdir -p "$cp_dir"
	mv "$tmp"/* "$cp_dir/"
	rm -rf "$tmp"
fi

echo "setup: ready (guest kernel $kver, node $(node --version))"

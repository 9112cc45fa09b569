#!/bin/sh
# Build the mpool-dkms Debian package: build/deb/mpool-dkms_V_all.deb.
#
#   scripts/deb.sh [OUTDIR]      (default build/deb; make deb)
#
# dpkg-buildpackage writes its results to the parent of the source tree,
# so it runs on a copy of what the package needs, OUTDIR/src/mpool-V/;
# nothing lands in the repository or above it.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$repo/build/deb}
mkdir -p "$out"
out=$(cd "$out" && pwd)
for t in dpkg-buildpackage dh dh_dkms rsync; do
	command -v "$t" >/dev/null 2>&1 || {
		echo "deb.sh: $t is missing: apt-get install debhelper dh-dkms dpkg-dev rsync" >&2
		exit 1
	}
done
v=$("$repo/scripts/dkms.sh" version)
src=$out/src/mpool-$v

rm -rf "$out/src"
mkdir -p "$src"
# The package's inputs only (see debian/rules and debian/*.install).
rsync -a \
	--exclude='*.o' --exclude='*.ko' --exclude='*.mod' --exclude='*.mod.c' \
	--exclude='.*.cmd' --exclude='Module.symvers' --exclude='modules.order' \
	--exclude='.tmp_versions' \
	"$repo/debian" "$repo/dkms.conf" "$repo/kmod" "$repo/uapi" "$repo/scripts" \
	"$repo/package.json" "$repo/README.md" "$repo/LICENSE" "$src/"

(cd "$src" && dpkg-buildpackage -us -uc -b >"$out/build.log" 2>&1) || {
	tail -n 40 "$out/build.log" >&2
	echo "deb.sh: dpkg-buildpackage failed; the whole log is $out/build.log" >&2
	exit 1
}
rm -f "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo
mv "$out"/src/*.deb "$out"/src/*.changes "$out"/src/*.buildinfo "$out/"
ls "$out"/*.deb

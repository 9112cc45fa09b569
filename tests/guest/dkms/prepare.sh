#!/bin/sh
# Host side of the dkms guest suite (tests/vm/suite.ts runs it before the
# boot): DKMS builds the module for the guest's kernel in a private tree
# (scripts/dkms.sh build: the host's DKMS state is not touched, so there is
# nothing to undo), and the Debian package is built for its system files.
# build/guest-dkms/kernel says which kernel the tree is for, or why none
# (under $MPOOL_BUILD_DIR instead of build/ when that is set).
#
#   prepare.sh KVER KBUILD
set -eu
kver=$1
kbuild=$2
out=${MPOOL_BUILD_DIR:-build}/guest-dkms
rm -rf "$out"
mkdir -p "$out"
if [ "$kbuild" != "/lib/modules/$kver/build" ]; then
	# The debug kernel's tree is a build directory of its own, not an
	# installed kernel that DKMS would know.
	echo "none: $kver is not an installed kernel (kbuild tree $kbuild)" > "$out/kernel"
	exit 0
fi
scripts/dkms.sh build "$out" "$kver" > "$out/dkms-build.log" 2>&1 || {
	cat "$out/dkms-build.log"
	exit 1
}
scripts/deb.sh "$out/deb" > /dev/null
echo "$kver" > "$out/kernel"

#!/bin/sh
# Build (or reuse) the debug guest kernel: Debian's linux-source-6.1 with
# KASAN, lockdep, kmemleak, DEBUG_LIST/VM and fault injection, guest drivers
# built in, and little else (tests/vm/debug-kernel.config over allnoconfig:
# about 28 CPU-minutes, 14 minutes on 2 idle cores).
#
# The result is cached outside git, keyed by the source package version,
# the config fragment and this script, so a second call is instant:
#   $MPOOL_CACHE_DIR/debug-kernel/<key>/{bzImage,build/,modroot/,kernelrelease}
#
#   debug-kernel.sh               build if needed, print the directory
#   debug-kernel.sh --print-dir   print the directory, fail if not built
#   debug-kernel.sh --deps        install what the build needs, and stop
#                                 (.ci/run: so that the build, started
#                                 before make setup, needs no apt of its own)
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
fragment=$repo/tests/vm/debug-kernel.config
cache=${MPOOL_CACHE_DIR:-/var/cache/mpool}/debug-kernel

need="linux-source-6.1 flex bison libelf-dev libssl-dev bc xz-utils cpio rsync gcc make perl"
missing=
for p in $need; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
done

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null || echo none)
key=$( (echo "$srcver"; cat "$fragment" "$0") | sha256sum | cut -c1-16)
dir=$cache/$key

if [ "${1-}" = --print-dir ]; then
	if [ ! -f "$dir/done" ]; then
		echo "debug-kernel: not built for this source and config; run 'make debug-kernel'" >&2
		exit 1
	fi
	echo "$dir"
	exit 0
fi

if [ "${1-}" != --deps ] && [ -f "$dir/done" ]; then
	echo "debug-kernel: cached at $dir ($(cat "$dir/kernelrelease"))" >&2
	echo "$dir"
	exit 0
fi

if [ -n "$missing" ]; then
	echo "debug-kernel: installing$missing" >&2
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
	srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
	key=$( (echo "$srcver"; cat "$fragment" "$0") | sha256sum | cut -c1-16)
	dir=$cache/$key
fi
[ "${1-}" != --deps ] || exit 0

start=$(date +%s)
rm -rf "$dir"
mkdir -p "$dir"
echo "debug-kernel: extracting linux-source-6.1 $srcver" >&2
tar -C "$dir" -xf "$(ls /usr/src/linux-source-6.1.tar.* | head -n 1)"
mv "$dir/linux-source-6.1" "$dir/build"
cd "$dir/build"

echo "debug-kernel: configuring" >&2
make -s allnoconfig >/dev/null
scripts/kconfig/merge_config.sh -m .config "$fragment" >/dev/null
make -s olddefconfig >/dev/null

# merge_config keeps going when Kconfig drops an option; we do not.
bad=
for opt in $(sed -n 's/^CONFIG_\([A-Z0-9_]*\)=\([ym]\)$/\1=\2/p' "$fragment"); do
	grep -q "^CONFIG_$opt\$" .config || bad="$bad ${opt%=*}"
done
if [ -n "$bad" ]; then
	echo "debug-kernel: these options did not end up as the fragment sets them:$bad" >&2
	exit 1
fi

jobs=$(($(nproc) + 1))
echo "debug-kernel: building with -j$jobs (about 14 minutes on 2 idle cores)" >&2
make -s -j"$jobs" bzImage modules >"$dir/build.log" 2>&1 || {
	tail -n 40 "$dir/build.log" >&2
	exit 1
}
make -s INSTALL_MOD_PATH="$dir/modroot" modules_install >/dev/null
cp arch/x86/boot/bzImage "$dir/bzImage"
make -s kernelrelease > "$dir/kernelrelease"
echo "$(($(date +%s) - start))" > "$dir/build-seconds"
touch "$dir/done"
echo "debug-kernel: built $(cat "$dir/kernelrelease") in $(cat "$dir/build-seconds")s at $dir" >&2
echo "$dir"

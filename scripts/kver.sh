#!/bin/sh
# Print the kernel version the module is built and tested for: the newest
# installed version of one kernel series that has both an image
# (/boot/vmlinuz-V) and a kbuild tree (/lib/modules/V/build).
#
#   scripts/kver.sh            series $MPOOL_KERNEL, or 6.1 (the stable
#                              default) when that is installed, or else
#                              the newest series installed
#   scripts/kver.sh 6.12       the newest 6.12.x
#   scripts/kver.sh --all      every usable version, oldest first
#
# The series is an explicit choice: installing another kernel (Debian's
# linux-headers-6.12-amd64 pulls in its image) does not move the default.
# Never a hard-coded full version: Debian bumps the ABI name with every
# security update.
set -eu
want=${1:-${MPOOL_KERNEL:-}}
default=6.1

# Every usable version, one per line.
all=
for b in /lib/modules/*/build; do
	[ -e "$b/Makefile" ] || continue
	v=${b#/lib/modules/}
	v=${v%/build}
	[ -e "/boot/vmlinuz-$v" ] || continue
	all=$(printf '%s\n%s\n' "$all" "$v")
done

if [ "$want" = --all ]; then
	all=$(printf '%s\n' "$all" | sed '/^$/d' | sort -V)
	if [ -z "$all" ]; then
		echo "kver.sh: no kernel with both /boot/vmlinuz-V and /lib/modules/V/build; run scripts/setup.sh" >&2
		exit 1
	fi
	echo "$all"
	exit 0
fi

# The newest version of series $1 ("6.1" matches 6.1.0-57-amd64, not 6.12.x).
newest() {
	printf '%s\n' "$all" | grep -E "^$(printf '%s' "$1" | sed 's/\./\\./g')[.-]" | sort -V | tail -n 1
}

if [ -n "$want" ]; then
	best=$(newest "$want")
	if [ -z "$best" ]; then
		echo "kver.sh: no $want kernel with both /boot/vmlinuz-V and /lib/modules/V/build (installed: $(printf '%s' "$all" | tr '\n' ' '))" >&2
		exit 1
	fi
else
	best=$(newest "$default")
	[ -n "$best" ] || best=$(printf '%s\n' "$all" | sed '/^$/d' | sort -V | tail -n 1)
fi
if [ -z "$best" ]; then
	echo "kver.sh: no kernel with both /boot/vmlinuz-V and /lib/modules/V/build; run scripts/setup.sh" >&2
	exit 1
fi
echo "$best"

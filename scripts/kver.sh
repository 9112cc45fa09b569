#!/bin/sh
# Print the newest kernel version that has both an image (/boot/vmlinuz-V)
# and a kbuild tree (/lib/modules/V/build).  Never hard-code the version:
# Debian bumps the ABI name with every security update.
set -eu
best=
for b in /lib/modules/*/build; do
	[ -e "$b/Makefile" ] || continue
	v=${b#/lib/modules/}
	v=${v%/build}
	[ -e "/boot/vmlinuz-$v" ] || continue
	best=$(printf '%s\n%s\n' "$best" "$v" | sed '/^$/d' | sort -V | tail -n 1)
done
if [ -z "$best" ]; then
	echo "kver.sh: no kernel with both /boot/vmlinuz-V and /lib/modules/V/build; run scripts/setup.sh" >&2
	exit 1
fi
echo "$best"

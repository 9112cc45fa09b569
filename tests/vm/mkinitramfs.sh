#!/bin/sh
# Build the guest initramfs for kernel KVER into OUT (a .cpio.gz):
# busybox-static, our /init, and the virtio/9p/overlay modules the stock
# Debian kernel builds as modules (none are needed for a kernel that has
# them built in, such as the debug kernel: pass MODDIR= empty then).
#
#   mkinitramfs.sh KVER OUT [MODDIR]
set -eu
kver=$1
out=$2
moddir=${3-/lib/modules/$kver}
here=$(dirname "$(readlink -f "$0")")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/etc" "$tmp/lib/modules" "$tmp/proc" "$tmp/sys" "$tmp/dev"
cp /bin/busybox "$tmp/bin/busybox"
cp "$here/init" "$tmp/init"
chmod 755 "$tmp/init"
# The kernel's request_module() runs /sbin/modprobe in the initramfs root;
# send it into the real root, where the modules are.
mkdir -p "$tmp/sbin"
printf '#!/bin/sh\nexec /bin/chroot /newroot /sbin/modprobe "$@"\n' > "$tmp/sbin/modprobe"
chmod 755 "$tmp/sbin/modprobe"
: > "$tmp/etc/modules.order"

if [ -n "$moddir" ]; then
	# modprobe resolves the dependency order; we unpack what it names.
	for m in virtio_pci virtio_blk 9pnet_virtio 9p overlay; do
		modprobe -S "$kver" --show-depends "$m"
	done | awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++' > "$tmp/mods"
	[ -s "$tmp/mods" ] || { echo "mkinitramfs: modprobe found no modules for $kver" >&2; exit 1; }
	while read -r path; do
		name=$(basename "$path")
		case "$name" in
		*.ko.xz) xz -dc "$path" > "$tmp/lib/modules/${name%.xz}"; name=${name%.xz} ;;
		*.ko.zst) zstd -qdc "$path" > "$tmp/lib/modules/${name%.zst}"; name=${name%.zst} ;;
		*) cp "$path" "$tmp/lib/modules/$name" ;;
		esac
		echo "$name" >> "$tmp/etc/modules.order"
	done < "$tmp/mods"
fi

mkdir -p "$(dirname "$out")"
(cd "$tmp" && find . | LC_ALL=C sort | cpio --quiet -o -H newc --reproducible) | gzip -n -1 > "$out.tmp"
mv "$out.tmp" "$out"

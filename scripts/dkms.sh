#!/bin/sh
# The mpool module under DKMS, from this repository.
#
#   scripts/dkms.sh install [KVER...]   copy the sources to /usr/src/mpool-V,
#                                       dkms add, build and install for each
#                                       KVER (default: the running kernel, or
#                                       scripts/kver.sh's when the running one
#                                       has no headers); kernels installed
#                                       later get it from DKMS (AUTOINSTALL)
#   scripts/dkms.sh remove              dkms remove every version of mpool,
#                                       delete /usr/src/mpool-V
#   scripts/dkms.sh build DIR [KVER...] dkms add and build in a private tree
#                                       under DIR (sources DIR/src, DKMS tree
#                                       DIR/dkms, signing key DIR/mok.*): the
#                                       system's DKMS state is left alone;
#                                       default: every kernel kver.sh --all
#                                       lists
#   scripts/dkms.sh stage DIR           write DIR/mpool-V/ (dkms.conf, kmod/,
#                                       uapi/) as installed to /usr/src
#   scripts/dkms.sh version             print V (package.json's version)
#
# make dkms and make dkms-remove run the first two.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
name=mpool

die() {
	echo "dkms.sh: $*" >&2
	exit 1
}

# The first "version" of package.json, at the top level (two spaces in).
version() {
	v=$(sed -n 's/^  "version": *"\([^"]*\)".*/\1/p' "$repo/package.json" | head -n 1)
	[ -n "$v" ] || die "no version in $repo/package.json"
	echo "$v"
}

# The module's tree for DKMS: kbuild files and sources (the test-only
# selftest.c and any build output left), the uapi headers, dkms.conf.
stage() {
	dest=$1/$name-$(version)
	rm -rf "$dest"
	mkdir -p "$dest/kmod" "$dest/uapi"
	for f in "$repo"/kmod/Kbuild "$repo"/kmod/Makefile "$repo"/kmod/*.c "$repo"/kmod/*.h; do
		case ${f##*/} in
		*.mod.c | selftest.c) continue ;;
		esac
		install -m 0644 "$f" "$dest/kmod/"
	done
	install -m 0644 "$repo"/uapi/*.h "$dest/uapi/"
	sed "s/#MODULE_VERSION#/$(version)/g" "$repo/dkms.conf" > "$dest/dkms.conf"
	chmod 0644 "$dest/dkms.conf"
}

need_dkms() {
	command -v dkms >/dev/null 2>&1 || die "dkms is not installed (apt-get install dkms)"
}

need_root() {
	[ "$(id -u)" = 0 ] || die "$1 needs root (sudo make $2)"
}

# Kernels to build for when none is named.
default_kernels() {
	r=$(uname -r)
	if [ -e "/lib/modules/$r/build/Makefile" ]; then
		echo "$r"
	else
		k=$("$repo/scripts/kver.sh") || exit 1
		echo "dkms.sh: the running kernel $r has no headers (/lib/modules/$r/build); building for $k" >&2
		echo "$k"
	fi
}

# The package that owns /usr/src/mpool-$1, if any.
owner() {
	dpkg-query -S "/usr/src/$name-$1/dkms.conf" 2>/dev/null | cut -d: -f1 || true
}

cmd_install() {
	need_root install dkms
	need_dkms
	v=$(version)
	pkg=$(owner "$v")
	[ -z "$pkg" ] || die "/usr/src/$name-$v belongs to the $pkg package: use apt/dpkg to install or remove it"
	kernels=${*:-$(default_kernels)}
	# The new copy replaces what an earlier make dkms left, of any version.
	forget
	stage /usr/src
	dkms add -m "$name" -v "$v"
	for k in $kernels; do
		dkms build -m "$name" -v "$v" -k "$k"
		dkms install -m "$name" -v "$v" -k "$k"
	done
	dkms status -m "$name"
}

# dkms remove every registered version (status lines read "mpool/V, ..."
# or "mpool/V: added") but those of a package, and delete their sources.
forget() {
	kept=
	for v in $( (dkms status -m "$name" | sed -n "s|^$name/\([^,:]*\)[,:].*|\1|p"; version) | sort -u); do
		pkg=$(owner "$v")
		if [ -n "$pkg" ]; then
			echo "dkms.sh: keeping $name/$v, which the $pkg package installed (apt remove $pkg)" >&2
			kept=1
			continue
		fi
		if dkms status -m "$name" -v "$v" | grep -q .; then
			dkms remove -m "$name" -v "$v" --all
		fi
		rm -rf "/usr/src/$name-$v"
	done
	# dkms remove leaves the module's (empty) directory behind.
	[ -n "$kept" ] || rm -rf "/var/lib/dkms/$name"
}

cmd_remove() {
	need_root remove dkms-remove
	need_dkms
	forget
	echo "dkms.sh: $name removed from DKMS"
}

cmd_build() {
	[ $# -ge 1 ] || die "usage: dkms.sh build DIR [KVER...]"
	need_dkms
	dir=$1
	shift
	if [ $# -gt 0 ]; then
		kernels=$*
	else
		kernels=$("$repo/scripts/kver.sh" --all)
	fi
	v=$(version)
	rm -rf "$dir/src" "$dir/dkms"
	mkdir -p "$dir/src" "$dir/dkms"
	dir=$(cd "$dir" && pwd)
	stage "$dir/src"
	# DKMS signs what it builds, with a key it makes on first use; keep
	# that key here too, not in /var/lib/dkms.
	export mok_signing_key="$dir/mok.key" mok_certificate="$dir/mok.pub"
	dkms add -m "$name" -v "$v" --sourcetree "$dir/src" --dkmstree "$dir/dkms"
	for k in $kernels; do
		dkms build -m "$name" -v "$v" -k "$k" --sourcetree "$dir/src" --dkmstree "$dir/dkms"
	done
	dkms status -m "$name" --sourcetree "$dir/src" --dkmstree "$dir/dkms"
}

[ $# -ge 1 ] || die "usage: dkms.sh install|remove|build|stage|version ..."
cmd=$1
shift
case $cmd in
install) cmd_install "$@" ;;
remove) cmd_remove ;;
build) cmd_build "$@" ;;
stage)
	[ $# -eq 1 ] || die "usage: dkms.sh stage DIR"
	stage "$1"
	;;
version) version ;;
*) die "unknown command $cmd (install, remove, build, stage, version)" ;;
esac

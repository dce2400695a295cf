#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch-stock-kernel.sh [SERIES]
# Download one of Debian 12's arm64 kernels (image, headers, kbuild) and
# busybox, extract them under the cache, and print the kernel directory.
# SERIES is 6.1 (the default, linux-image-arm64), 6.12 (linux-image-6.12-arm64,
# 4K pages) or 6.12-16k (linux-image-6.12-arm64-16k, 16K pages).
# The ABI moves as the archive is updated, so it is resolved every time from
# the series' meta-package, and the headers' own dependencies name the common
# headers and kbuild packages; an already extracted ABI is reused.
set -euo pipefail
. "$(dirname "$0")/common.sh"

series=${1:-6.1}
case $series in
6.1) meta=linux-image-arm64 ;;
6.12) meta=linux-image-6.12-arm64 ;;
6.12-16k) meta=linux-image-6.12-arm64-16k ;;
*) die "unknown Debian kernel series '$series'" ;;
esac

ensure_arm64_arch
resolve_abi() {
	apt-cache depends "$meta:arm64" 2>/dev/null |
		sed -n 's/.*Depends: linux-image-\(.*-arm64\(-16k\)\?\)\(-unsigned\)\?:arm64$/\1/p' |
		head -n1
}
abi=$(resolve_abi)
if [ -z "$abi" ]; then
	apt-get update -qq >&2 || true
	abi=$(resolve_abi)
fi
[ -n "$abi" ] || die "cannot resolve the ABI of Debian's $meta"

dir=$CACHE/stock/$abi
if [ ! -e "$dir/.done" ]; then
	deps=$(apt-cache depends "linux-headers-$abi:arm64")
	common=$(sed -n 's/.*Depends: <\?\(linux-headers-[^:>]*-common\)[:>].*/\1/p' <<<"$deps" | head -n1)
	kbuild=$(sed -n 's/.*Depends: \(linux-kbuild-[^:]*\):arm64$/\1/p' <<<"$deps" | head -n1)
	[ -n "$common" ] && [ -n "$kbuild" ] ||
		die "cannot resolve the headers of Debian kernel $abi"
	log "fetching Debian arm64 kernel $abi"
	rm -rf "$dir"
	mkdir -p "$dir/debs" "$dir/root"
	# The kbuild package is the host's (amd64): its tools run here.
	(cd "$dir/debs" &&
	 apt-get download -q "linux-image-$abi-unsigned:arm64" \
		"linux-headers-$abi:arm64" "$common" "$kbuild" \
		busybox-static:arm64 >&2) ||
		die "apt-get download failed"
	for deb in "$dir"/debs/*.deb; do
		dpkg-deb -x "$deb" "$dir/root"
	done
	hdr=$dir/root/usr/src/linux-headers-$abi
	# The arch headers include the -common tree by absolute path.
	sed -i "s|/usr/src/|$dir/root/usr/src/|g" "$hdr/Makefile"
	ln -sfn "root/boot/vmlinuz-$abi" "$dir/vmlinuz"
	ln -sfn "root/usr/src/linux-headers-$abi" "$dir/build"
	ln -sfn "root/lib/modules/$abi" "$dir/modules"
	rm -rf "$dir/debs"
	touch "$dir/.done"
fi
echo "$dir"

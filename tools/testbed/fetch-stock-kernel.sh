#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Download Debian's current arm64 kernel (image, headers, kbuild) and
# busybox, extract them under the cache, and print the kernel directory.
# The ABI moves as the archive is updated, so it is resolved every time;
# an already extracted ABI is reused.
set -euo pipefail
. "$(dirname "$0")/common.sh"

ensure_arm64_arch
abi=$(apt-cache depends linux-image-arm64:arm64 2>/dev/null |
      sed -n 's/.*Depends: linux-image-\(.*-arm64\)\(-unsigned\)\?:arm64$/\1/p' |
      head -n1)
if [ -z "$abi" ]; then
	apt-get update -qq >&2 || true
	abi=$(apt-cache depends linux-image-arm64:arm64 |
	      sed -n 's/.*Depends: linux-image-\(.*-arm64\)\(-unsigned\)\?:arm64$/\1/p' |
	      head -n1)
fi
[ -n "$abi" ] || die "cannot resolve the Debian arm64 kernel ABI"

dir=$CACHE/stock/$abi
if [ ! -e "$dir/.done" ]; then
	log "fetching Debian arm64 kernel $abi"
	rm -rf "$dir"
	mkdir -p "$dir/debs" "$dir/root"
	(cd "$dir/debs" &&
	 apt-get download -q "linux-image-$abi-unsigned:arm64" \
		"linux-headers-$abi:arm64" "linux-headers-${abi%-arm64}-common" \
		linux-kbuild-6.1 busybox-static:arm64 >&2) ||
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

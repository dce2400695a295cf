#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Extract Debian's linux-source-6.1 once under the cache and print its path.
# The debug kernel is built from it and the selftests take
# kselftest_harness.h from it.
set -euo pipefail
. "$(dirname "$0")/common.sh"

tarball=/usr/src/linux-source-6.1.tar.xz
[ -e "$tarball" ] || ensure_host_packages
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
src=$CACHE/src/linux-source-$srcver
if [ ! -e "$src/.done" ]; then
	log "extracting linux-source $srcver"
	rm -rf "$src"
	mkdir -p "$src"
	tar -xf "$tarball" -C "$src" --strip-components=1
	touch "$src/.done"
fi
echo "$src"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# build-module.sh KERNEL_DIR DEST
# Build smmu_assign.ko against one test-bed kernel, W=1, in a private copy of
# the sources (6.1 kbuild cannot put objects elsewhere), and copy it to DEST.
# Any compiler warning fails the build.
set -euo pipefail
. "$(dirname "$0")/common.sh"

kdir=$1 dest=$2
bdir=$(dirname "$dest")/module-build
rm -rf "$bdir"
mkdir -p "$bdir" "$dest"
cp -a "$TOP/Kbuild" "$TOP/drivers" "$TOP/include" "$bdir/"
make -C "$kdir/build" M="$bdir" W=1 KCFLAGS=-Werror modules
cp "$bdir/drivers/smmu-assign/smmu_assign.ko" "$dest/"

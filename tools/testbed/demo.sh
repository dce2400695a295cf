#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: boot the emulated ARM64 server (QEMU virt, SMMUv3, three edu
# DMA devices alone in their IOMMU groups, two sharing one as functions of
# a multi-function slot, one behind a bridge, one in a hot-pluggable slot)
# on Debian's stock arm64 kernel, load smmu_assign.ko and run
# the narrated guest script demo-guest.sh. Prints what that script says;
# the whole console stays in .cache/demo/console.log.
set -euo pipefail
. "$(dirname "$0")/common.sh"

ensure_host_packages
out=$CACHE/demo
mkdir -p "$out"
kdir=$("$TOP/tools/testbed/prepare-guest.sh" stock "$out")
log "booting $(basename "$(readlink -f "$kdir/modules")") under QEMU (about 20 s)"
console=$out/console.log
"$TOP/tools/testbed/run-guest.sh" "$kdir" "$out/stock-initrd.gz" demo "$console"

# The narration lies between the guest script's markers. Kernel messages
# that reach the console meanwhile start with a "[ time]" stamp: drop them.
narration=$(tr -d '\r' <"$console" |
	sed -n '/^=== DEMO BEGIN ===$/,/^=== DEMO END/p' |
	grep -v -e '^\[' -e '^=== DEMO ' || true)
if ! tr -d '\r' <"$console" | grep -q '^=== DEMO END status=0 ===$'; then
	[ -z "$narration" ] || echo "$narration"
	tail -n 30 "$console" >&2
	die "the demo did not finish cleanly (console in $console)"
fi
echo "$narration"
echo
log "full console log: $console"

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: boot the emulated ARM64 server once on Debian's stock kernel,
# with the bench-only floor module (tools/bench/floor) built against it, and
# run smmua-bench there: smmu-assign, VFIO type1 and the floor in one boot.
# Prints the table; the JSON goes to .cache/bench/results.json (and a copy
# named by date), the console to .cache/bench/console.log.
#   SMMU_ASSIGN_BENCH_ARGS=--reps=7,--no-floor   smmua-bench's options,
#                                                comma-separated
set -euo pipefail
. "$(dirname "$0")/common.sh"

ensure_host_packages
out=$CACHE/bench
mkdir -p "$out"
kdir=$("$TOP/tools/testbed/prepare-guest.sh" stock "$out")

# The floor module, for this boot only: it is never part of the product.
fdir=$out/floor-build
rm -rf "$fdir"
cp -a "$TOP/tools/bench/floor" "$fdir"
make -C "$kdir/build" M="$fdir" W=1 KCFLAGS=-Werror modules >"$out/floor-build.log" 2>&1 ||
	{ cat "$out/floor-build.log" >&2; die "the floor module did not build"; }
cp "$fdir/smmua_floor.ko" "$out/stock-stage/lib/"
"$TOP/tools/testbed/mkinitramfs.sh" "$kdir" "$out/stock-stage" "$out/stock-initrd.gz"

# Room for 200k distinct one-page mappings and 256 MiB of huge pages.
args=${SMMU_ASSIGN_BENCH_ARGS:---big}
log "booting $(basename "$(readlink -f "$kdir/modules")") for the benchmark (many minutes)"
console=$out/console.log
SMMU_ASSIGN_GUEST_MEM=${SMMU_ASSIGN_GUEST_MEM:-3072} \
SMMU_ASSIGN_GUEST_TIMEOUT=${SMMU_ASSIGN_GUEST_TIMEOUT:-5400} \
SMMU_ASSIGN_BENCH_ARGS=$args \
	"$TOP/tools/testbed/run-guest.sh" "$kdir" "$out/stock-initrd.gz" bench "$console"

section() { tr -d '\r' <"$console" | sed -n "/^=== $1 BEGIN ===$/,/^=== $1 END/p" |
	grep -v -e '^=== ' -e '^\[ *[0-9.]*\] ' || true; }
section BENCH
json=$(section JSON)
tr -d '\r' <"$console" | grep -q '^=== BENCH END status=0 ===$' && [ -n "$json" ] ||
	die "the benchmark did not finish cleanly (console in $console)"
printf '%s\n' "$json" >"$out/results.json"
cp "$out/results.json" "$out/results-$(date +%Y%m%d-%H%M%S).json"
log "JSON: $out/results.json; console: $console"

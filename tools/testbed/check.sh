#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: host-side tests, then the selftests inside the emulated ARM64
# server on each kernel: Debian's stock 6.1, the 6.1 debug kernel, and
# Debian's 6.12 with 4K and with 16K pages.
# Installs what it needs, caches downloads and builds under .cache, and ends
# with "N passed, N failed, N skipped". Exits non-zero on any failure.
#   SMMU_ASSIGN_KERNELS="stock debug 6.12 6.12-16k"
#                                      which kernels to run (default all four)
#   SMMU_ASSIGN_CHECK_DIR=DIR          where builds and logs go (.cache/check)
set -uo pipefail
. "$(dirname "$0")/common.sh"

ensure_host_packages
out=${SMMU_ASSIGN_CHECK_DIR:-$CACHE/check}
rm -rf "$out"
mkdir -p "$out"
total_pass=0 total_fail=0 total_skip=0
add_counts() {
	local p f s
	read -r p f s <"$1"
	total_pass=$((total_pass + p)) total_fail=$((total_fail + f))
	total_skip=$((total_skip + s))
}

echo "== host tests =="
bash "$TOP/tools/testbed/host-tests.sh" "$out/host.counts"
add_counts "$out/host.counts"

for kernel in ${SMMU_ASSIGN_KERNELS:-stock debug 6.12 6.12-16k}; do
	echo "== $kernel kernel =="
	if ! kdir=$("$TOP/tools/testbed/prepare-guest.sh" "$kernel" "$out"); then
		echo "FAIL    $kernel: building the guest"
		total_fail=$((total_fail + 1))
		continue
	fi
	log "booting the $kernel kernel ($(basename "$(readlink -f "$kdir/modules")"))"
	start=$SECONDS
	"$TOP/tools/testbed/run-guest.sh" "$kdir" "$out/$kernel-initrd.gz" check "$out/$kernel-console.log"
	log "the $kernel guest ran for $((SECONDS - start)) s"
	# Up to 6.8 unrecoverable faults reach the module; from 6.9 they do not.
	case $kernel in
	stock | debug) faults=yes ;;
	*) faults=no ;;
	esac
	bash "$TOP/tools/testbed/verdict.sh" "$out/$kernel-console.log" "$kernel" \
		"$out/$kernel.counts" "$faults"
	add_counts "$out/$kernel.counts"
done

# The same stock guest on a GICv2, which has no ITS: only the MSI-isolation
# test runs there. Then locked down: only the lockdown test.
if [ -e "$out/stock-initrd.gz" ]; then
	echo "== stock kernel, GICv2 (MSIs not isolated) =="
	SMMU_ASSIGN_GIC=2 SMMU_ASSIGN_TESTS=msi_test "$TOP/tools/testbed/run-guest.sh" \
		"$("$TOP/tools/testbed/fetch-stock-kernel.sh" 6.1)" "$out/stock-initrd.gz" check \
		"$out/stock-gicv2-console.log"
	bash "$TOP/tools/testbed/verdict.sh" "$out/stock-gicv2-console.log" stock-gicv2 \
		"$out/stock-gicv2.counts"
	add_counts "$out/stock-gicv2.counts"

	# And locked down (confidentiality), as a Secure Boot server runs:
	# sysfs BAR access is refused there, the device fd must do it all.
	echo "== stock kernel, lockdown=confidentiality =="
	SMMU_ASSIGN_LOCKDOWN=confidentiality SMMU_ASSIGN_TESTS=lockdown_test \
		"$TOP/tools/testbed/run-guest.sh" \
		"$("$TOP/tools/testbed/fetch-stock-kernel.sh" 6.1)" "$out/stock-initrd.gz" check \
		"$out/stock-lockdown-console.log"
	bash "$TOP/tools/testbed/verdict.sh" "$out/stock-lockdown-console.log" stock-lockdown \
		"$out/stock-lockdown.counts"
	add_counts "$out/stock-lockdown.counts"
fi

# The stock guest once more, with EL2 and KVM: Debian's QEMU inside it runs a
# nested guest with an edu passed through (vmm-check.sh, vmm_test only).
if [ -e "$out/stock-initrd.gz" ]; then
	echo "== stock kernel, a VMM inside (KVM, edu passed through) =="
	bash "$TOP/tools/testbed/vmm-check.sh" "$out" reuse
	add_counts "$out/stock-vmm.counts"
fi

echo "(logs in $out)"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" = 0 ]

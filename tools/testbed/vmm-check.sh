#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# vmm-check.sh [OUT [reuse]]
# The VMM boot of make check: the stock guest on a machine with EL2
# (virtualization=on; a CPU with VHE), so that its kernel offers KVM, and
# one more edu, with a 40-bit DMA mask, for a nested guest whose RAM is at
# 1 GiB. Its initramfs adds Debian's arm64 QEMU and the nested guest
# (vmm-prepare.sh), and only selftests/vmm_test runs. Judged by verdict.sh
# as stock-vmm; the counts go to OUT/stock-vmm.counts.
# OUT is where builds and logs go (default .cache/check-vmm). The stock
# guest is built there first, unless "reuse" says that make check has just
# built it there.
set -uo pipefail
. "$(dirname "$0")/common.sh"

ensure_host_packages
out=${1:-$CACHE/check-vmm} reuse=${2:-}
mkdir -p "$out"
console=$out/stock-vmm-console.log counts=$out/stock-vmm.counts
fail() {
	echo "FAIL    stock-vmm: $*"
	echo "0 1 0" >"$counts"
	exit 0
}

kdir=$("$TOP/tools/testbed/fetch-stock-kernel.sh" 6.1) || fail "fetching the stock kernel"
if [ "$reuse" != reuse ] || [ ! -e "$out/stock-initrd.gz" ]; then
	"$TOP/tools/testbed/prepare-guest.sh" stock "$out" >/dev/null ||
		fail "building the stock guest"
fi
"$TOP/tools/testbed/vmm-prepare.sh" "$kdir" "$out/stock-initrd.gz" "$out" ||
	fail "building the VMM initramfs"

# The edu in a slot of its own (00:12.0, after the NVMe and the ivshmem):
# the other devices keep their addresses.
edu=0000:00:12.0
# 6.1's KVM at the emulated EL2 now and then loses a vCPU's virtual timer:
# its own WARN "No vcpu context!" in kvm_arch_timer_get_input_level(), from
# the vgic's resampling, after which L2 stalls. That is the host kernel's
# fault, not the module's: the boot is made once more, the first console
# kept as stock-vmm-console.1.log. Any other failure stands.
for attempt in 1 2; do
	log "booting $(basename "$(readlink -f "$kdir/modules")") with EL2 for the VMM test"
	start=$SECONDS
	SMMU_ASSIGN_QEMU_ARGS="-M virtualization=on -cpu max,pauth-impdef=on
		-device edu,addr=12.0,dma_mask=0xffffffffff" \
	SMMU_ASSIGN_VMM_EDU=$edu SMMU_ASSIGN_TESTS=vmm_test \
		"$TOP/tools/testbed/run-guest.sh" "$kdir" "$out/stock-vmm-initrd" check "$console"
	log "the VMM guest ran for $((SECONDS - start)) s"
	if [ "$attempt" = 2 ] || ! grep -q 'No vcpu context!' "$console"; then
		break
	fi
	mv "$console" "$out/stock-vmm-console.1.log"
	log "KVM lost L2's timer (No vcpu context!): booting once more"
done
bash "$TOP/tools/testbed/verdict.sh" "$console" stock-vmm "$counts" yes

#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run-guest.sh KERNEL_DIR INITRD MODE [LOG]
# Boot the emulated ARM64 server: QEMU virt with GICv3 (ITS, so MSIs are
# isolated), an SMMUv3 and three edu DMA devices on the root bus, each alone
# in its IOMMU group; two more as functions 0 and 1 of one multi-function
# slot (00:08), which have no ACS and so share one IOMMU group, each with
# its own stream ID: the multi-device group case; a sixth behind a PCIe
# root port and a PCIe-to-PCI bridge, in one group with both (the bridge is
# on shpchp where the kernel has SHPC, else on no driver); and a seventh in
# a hot-pluggable PCIe slot, in one group with its root port (pcieport).
# (A second edu behind the bridge cannot share that group: it would DMA
# with the same requester ID, the bridge's, and arm-smmu-v3 refuses a
# stream ID that another device has, leaving it with no IOMMU group.)
# Two more devices for the device fd's tests, at fixed slots on the root
# bus (00:10 and 00:11) after every edu, so no edu, bridge or bus number
# moves: an NVMe controller (MSI-X, FLR), backed by a null block device
# that reads zeroes, and an ivshmem-plain whose BAR2 is 1 MiB of RAM (a
# peer for peer-to-peer DMA). No driver of the guest takes either.
# MODE is passed to the guest's /init (check or demo). The console goes to
# LOG, or to stdout.
set -euo pipefail
. "$(dirname "$0")/common.sh"

kdir=$1 initrd=$2 mode=$3 log=${4:-/dev/stdout}
timeout=${SMMU_ASSIGN_GUEST_TIMEOUT:-900}
mem=${SMMU_ASSIGN_GUEST_MEM:-2048}
# SMMU_ASSIGN_GIC=2: a GICv2 without ITS, where MSIs are not isolated.
# SMMU_ASSIGN_TESTS=a,b: run only these selftests.
gic=${SMMU_ASSIGN_GIC:-3}
append="console=ttyAMA0 panic=-1 testbed.mode=$mode"
[ "$gic" = 3 ] || append="$append testbed.msi_isolated=0"
[ -z "${SMMU_ASSIGN_TESTS:-}" ] || append="$append testbed.tests=$SMMU_ASSIGN_TESTS"
# SMMU_ASSIGN_LOCKDOWN=confidentiality: the guest raises the kernel's
# lockdown to that level once its modules are loaded (guest-init.sh).
[ -z "${SMMU_ASSIGN_LOCKDOWN:-}" ] || append="$append testbed.lockdown=$SMMU_ASSIGN_LOCKDOWN"
# The fuzzer's knobs reach the selftests' environment (guest-init.sh).
for var in SMMU_ASSIGN_FUZZ_SEED SMMU_ASSIGN_FUZZ_CALLS SMMU_ASSIGN_BENCH_ARGS \
	SMMU_ASSIGN_VMM_EDU; do
	[ -z "${!var:-}" ] || append="$append testbed.env.$var=${!var}"
done

# The host's hand on the hot-pluggable slot (rp1): the agent follows the
# console and turns the guest's requests into device_del and device_add.
qmp=
agent=
if [ "$log" != /dev/stdout ]; then
	qmp=$(mktemp -u /tmp/smmu-assign-qmp.XXXXXX)
	: >"$log"
	python3 "$TOP/tools/testbed/hotplug-agent.py" "$log" "$qmp" &
	agent=$!
	trap 'kill $agent 2>/dev/null; rm -f "$qmp"' EXIT
fi

# The CPU must have the kernel's translation granule: cortex-a57 has 4K and
# 64K only. The arm64 Image header's flags (offset 24, bits 1-2) say the
# kernel's page size: 1 = 4K, 2 = 16K, 3 = 64K. QEMU's "max" with the
# cheaper pointer-auth algorithm has all three.
cpu=cortex-a57
flags=$(od -An -tu1 -j24 -N1 "$kdir/vmlinuz" | tr -d ' ')
[ $(((flags >> 1) & 3)) -le 1 ] || cpu=max,pauth-impdef=on

# SMMU_ASSIGN_QEMU_ARGS: more QEMU options, after these (a later -cpu wins,
# -M options add up), for a boot of its own such as vmm-check.sh's.
# A guest that hangs is killed; the missing end marker then fails the run.
timeout --foreground -k 10 "$timeout" \
	qemu-system-aarch64 -M virt,iommu=smmuv3,gic-version="$gic" -cpu "$cpu" \
	-m "$mem" -smp 2 -display none -monitor none -serial stdio -no-reboot \
	-kernel "$kdir/vmlinuz" -initrd "$initrd" \
	-append "$append" \
	-device edu -device edu -device edu \
	-device edu,addr=8.0,multifunction=on -device edu,addr=8.1,multifunction=on \
	-device pcie-root-port,id=rp0,chassis=1 \
	-device pcie-pci-bridge,id=br0,bus=rp0 -device edu,bus=br0,addr=1 \
	-device pcie-root-port,id=rp1,chassis=2,slot=1 -device edu,bus=rp1,id=hotedu \
	-blockdev null-co,node-name=nvm,size=1048576,read-zeroes=on \
	-device nvme,serial=smmua-nvme,drive=nvm,addr=10.0 \
	-object memory-backend-ram,id=shm,size=1M -device ivshmem-plain,memdev=shm,addr=11.0 \
	${qmp:+-qmp unix:$qmp,server=on,wait=off} ${SMMU_ASSIGN_QEMU_ARGS:-} \
	</dev/null >"$log" || true

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The narrated demo, run by the guest's /init in testbed.mode=demo (busybox
# sh, smmuctl in PATH). Everything it prints between the DEMO markers is
# shown by make demo. It changes only sysfs driver bindings, and puts every
# device back the way it found it.

status=0
say() { printf '\n### %s\n' "$*"; }
run() { echo "# $*"; "$@" || { echo "  -> failed: $?"; status=1; }; }
fail() { echo "  -> FAILED: $*"; status=1; }
# Kernel messages matching $1 (after line $2), indented so make demo keeps
# them: it drops the console's own "[ time]" kernel lines.
klog() { dmesg | tail -n +"$((${2:-0} + 1))" | grep -E "$1" |
	sed 's/^\[[ 0-9.]*\] /  kernel: /'; }
mark() { dmesg | wc -l; }

edu_devices() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = "0x1234:0x11e8" ] &&
			basename "$d"
	done
}
show() { # BDF
	d=/sys/bus/pci/devices/$1
	drv=$(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)
	grp=$(basename "$(readlink "$d/iommu_group" 2>/dev/null)" 2>/dev/null)
	echo "  $1  edu  driver=${drv:-none}  iommu_group=${grp:-none}"
}
# Hand a device to a driver the way an administrator does: driver_override.
hand_over() { # BDF DRIVER
	d=/sys/bus/pci/devices/$1
	[ -e "$d/driver" ] && echo "$1" > "$d/driver/unbind"
	echo "$2" > "$d/driver_override"
	echo "$1" > /sys/bus/pci/drivers_probe
}
give_back() { # BDF
	d=/sys/bus/pci/devices/$1
	[ -e "$d/driver" ] && echo "$1" > "$d/driver/unbind"
	echo > "$d/driver_override"
}

# The console is the demo's: kernel messages are shown on purpose below.
dmesg -n 1
echo "=== DEMO BEGIN ==="

say "The machine: QEMU virt (arm64), $(uname -r)"
echo "  IOMMUs in /sys/class/iommu: $(ls /sys/class/iommu/ | tr '\n' ' ')"
klog 'arm-smmu-v3.*(ias|probing hardware|msi)' | head -n 4

say "smmu_assign.ko is loaded"
lsmod | grep '^smmu_assign' | sed 's/^/  /' || fail "module not loaded"
[ -c /dev/smmu-assign ] || fail "no /dev/smmu-assign"
ls -l /dev/smmu-assign | sed 's/^/  /'
for p in /sys/module/smmu_assign/parameters/*; do
	[ -e "$p" ] && echo "  parameter $(basename "$p") = $(cat "$p")"
done
klog 'smmu_assign: (loaded|module verification)'
run smmuctl version

# BDFs have no spaces: split them into the positional parameters.
# shellcheck disable=SC2046
set -- $(edu_devices)
[ $# -ge 2 ] || fail "expected the test bed's edu devices, found $#"
say "The edu DMA devices (PCI 1234:11e8): no driver, so no IOMMU group yet"
for bdf in "$@"; do show "$bdf"; done
stub=$1 vfio=$2

say "Hand $stub over to the smmu-assign stub driver (driver_override)"
echo "# echo smmu-assign > /sys/bus/pci/devices/$stub/driver_override"
echo "# echo $stub > /sys/bus/pci/drivers_probe"
m=$(mark)
hand_over "$stub" smmu-assign
show "$stub"
[ -e "/sys/bus/pci/devices/$stub/iommu_group" ] || fail "$stub got no IOMMU group"
klog "$stub" "$m"
# On virt the stream ID is the PCI requester ID: bus << 8 | devfn.
bus=$((0x$(echo "$stub" | cut -d: -f2)))
dev=$((0x$(echo "$stub" | cut -d: -f3 | cut -d. -f1)))
fn=$(echo "$stub" | cut -d. -f2)
printf '  its stream ID on this SMMU is the requester ID: %#x\n' \
	$(((bus << 8) | (dev << 3) | fn))
echo "  The stub leaves it idle, with nothing mapped for it, until an owner"
echo "  opens /dev/smmu-assign and BINDs it (see Documentation/uapi.rst)."

# The example driver tools/examples/edu-dma: bind, map, DMA, a blocked DMA.
edu_dma() { # BDF [persistent]
	if ! command -v edu-dma >/dev/null; then
		echo "  (the edu-dma example is not in this build)"
		return
	fi
	m=$(mark)
	echo "# edu-dma $1"
	out=$(edu-dma "$1" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/  /'
	[ $rc = 0 ] || fail "edu-dma exited with status $rc"
	klog "$1: (bound|unbound|DMA fault)|smmu_assign: $1" "$m"
	[ -n "${2:-}" ] && return
	# Closing its file must have undone the binding.
	[ -e "/sys/kernel/debug/smmu-assign/$1" ] && fail "$1 still bound"
}

say "A userspace driver takes $stub: the edu-dma example"
edu_dma "$stub"

say "Or hand $vfio to vfio-pci: smmu-assign may use it while VFIO does not"
echo "# echo vfio-pci > /sys/bus/pci/devices/$vfio/driver_override"
echo "# echo $vfio > /sys/bus/pci/drivers_probe"
if [ -d /sys/bus/pci/drivers/vfio-pci ]; then
	hand_over "$vfio" vfio-pci
	show "$vfio"
	grp=$(basename "$(readlink "/sys/bus/pci/devices/$vfio/iommu_group")")
	[ -e "/dev/vfio/$grp" ] || fail "no /dev/vfio/$grp"
	echo "  VFIO offers it as /dev/vfio/$grp. Group DMA ownership is exclusive:"
	echo "  BIND fails with EBUSY while a VFIO user holds the group, and VFIO"
	echo "  cannot take it while smmu-assign has it bound. Nobody opened the"
	echo "  VFIO group here, so smmu-assign can use the device:"
	edu_dma "$vfio"
else
	echo "  (vfio-pci is not loaded in this kernel)"
fi

third=${3:-}
if [ -n "$third" ] && smmuctl help takeover >/dev/null 2>&1; then
	say "The administrator's way: smmuctl, and a persistent binding"
	run smmuctl takeover "$third"
	run smmuctl bind "$third" --window 0x100000:16M
	run smmuctl list
	echo "  A program CLAIMs the persistent binding to map into it:"
	edu_dma "$third" persistent
	run smmuctl info "$third"
	echo "  The blocked DMA, as the administrator sees it (the claimant got the records):"
	run smmuctl faults "$third"
	run smmuctl stats "$third"
	run smmuctl unbind "$third"
	run smmuctl giveback "$third"
	show "$third"
fi

say "Give both devices back"
give_back "$stub"
give_back "$vfio"
show "$stub"
show "$vfio"

say "Unload the module"
run rmmod smmu_assign
[ -e /dev/smmu-assign ] && fail "/dev/smmu-assign still there"
[ -e /sys/module/smmu_assign ] && fail "the module is still loaded"
echo "  /dev/smmu-assign is gone; the kernel log is clean of warnings:"
bad=$(dmesg | grep -cE 'WARNING:|BUG:|Oops|Call trace:')
echo "  $bad WARN/BUG/Oops reports"
[ "$bad" = 0 ] || fail "the kernel reported problems"

echo
[ $status = 0 ] && echo "Demo finished." || echo "Demo FAILED."
echo "=== DEMO END status=$status ==="
exit $status

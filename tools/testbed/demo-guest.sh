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

# Devices are found by vendor:device, and by where they sit in sysfs: a
# device's directory is inside its upstream bridge's.
EDU=0x1234:0x11e8 PCI_BRIDGE=0x1b36:0x000e	# QEMU's edu, pcie-pci-bridge
id_of() { echo "$(cat "/sys/bus/pci/devices/$1/vendor"):$(cat "/sys/bus/pci/devices/$1/device")"; }
parent_of() { basename "$(dirname "$(readlink -f "/sys/bus/pci/devices/$1")")"; }
driver_of() { # BDF: its driver, "" for none
	l=$(readlink "/sys/bus/pci/devices/$1/driver" 2>/dev/null) && basename "$l"
}
devices_by_id() { # VENDOR:DEVICE
	for d in /sys/bus/pci/devices/*; do
		[ "$(id_of "$(basename "$d")")" = "$1" ] && basename "$d"
	done
}
# The edus on the root bus (pci0000:00) alone in their slot; those sharing
# a multi-function slot there; and those behind bridge $1.
on_root_bus() { case $(parent_of "$1") in pci*) return 0 ;; esac; return 1; }
slot_functions() { set -- "/sys/bus/pci/devices/${1%.*}".*; echo $#; }
root_edus() { for e in $(devices_by_id $EDU); do
	on_root_bus "$e" && [ "$(slot_functions "$e")" = 1 ] && echo "$e"; done; }
slot_edus() { for e in $(devices_by_id $EDU); do
	on_root_bus "$e" && [ "$(slot_functions "$e")" -gt 1 ] && echo "$e"; done; }
edus_behind() { for e in $(devices_by_id $EDU); do
	[ "$(parent_of "$e")" = "$1" ] && echo "$e"; done; }
group_of() { basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group")"; }
show_group() { # BDF: the members of its IOMMU group
	echo "# ls /sys/kernel/iommu_groups/$(group_of "$1")/devices"
	ls "/sys/kernel/iommu_groups/$(group_of "$1")/devices" | sed 's/^/  /'
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

say "The edu DMA devices (PCI 1234:11e8): no driver, so no IOMMU group yet"
for bdf in $(devices_by_id $EDU); do show "$bdf"; done
# BDFs have no spaces: split the root bus's into the positional parameters.
# shellcheck disable=SC2046
set -- $(root_edus)
[ $# -ge 2 ] || fail "expected the test bed's edu devices on the root bus, found $#"
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

# The example driver tools/examples/edu-dma: bind (one space for all the
# devices), map, DMA, a blocked DMA. --persistent: the devices stay bound.
edu_dma() { # [--persistent] BDF...
	keep=
	[ "$1" = --persistent ] && { keep=1; shift; }
	if ! command -v edu-dma >/dev/null; then
		echo "  (the edu-dma example is not in this build)"
		return
	fi
	m=$(mark)
	echo "# edu-dma $*"
	out=$(edu-dma "$@" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/  /'
	[ $rc = 0 ] || fail "edu-dma exited with status $rc"
	re=$(echo "$*" | tr ' ' '|')
	klog "($re): (bound|unbound|DMA fault)|smmu_assign: ($re)" "$m"
	[ -n "$keep" ] && return
	# Closing its file must have undone the bindings.
	for b in "$@"; do
		[ -e "/sys/kernel/debug/smmu-assign/$b" ] && fail "$b still bound"
	done
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
	edu_dma --persistent "$third"
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

two=${2:-}
if [ -n "$two" ]; then
	say "Two devices, one address space"
	run smmuctl takeover "$stub"
	run smmuctl takeover "$two"
	echo "  A VMM's way: one space with its IOVAs allowed, both devices bound into"
	echo "  it, the memory mapped (pinned, charged) once for both:"
	edu_dma "$stub" "$two"
	run smmuctl giveback "$stub"
	run smmuctl giveback "$two"
fi

# Two functions of one multi-function slot (no ACS): one IOMMU group, each
# function with its own stream ID.
# shellcheck disable=SC2046
set -- $(slot_edus)
if [ $# -ge 2 ]; then
	say "A whole IOMMU group: the functions of slot ${1%.*}"
	for e in "$@"; do run smmuctl takeover "$e"; done
	show_group "$1"
	echo "  BIND takes the whole group: binding $1 binds every function of it."
	run smmuctl bind "$1" --window 0x100000:16M --space vm1
	run smmuctl list
	run smmuctl info "$1"
	echo "  A program claims the group into its space and DMAs through each device:"
	edu_dma --persistent "$@"
	run smmuctl unbind "$1"
	for e in "$@"; do
		[ -e "/sys/kernel/debug/smmu-assign/$e" ] && fail "$e still bound"
		run smmuctl giveback "$e"
	done
fi

# The edus behind the PCIe-to-PCI bridge share an IOMMU group with it (and
# its root port): their DMA carries the bridge's requester ID.
bridge=$(devices_by_id $PCI_BRIDGE | head -n 1)
set --
# shellcheck disable=SC2046
[ -n "$bridge" ] && set -- $(edus_behind "$bridge")
if [ $# -ge 1 ]; then
	say "A group behind a PCIe-to-PCI bridge: $*"
	for e in "$@"; do run smmuctl takeover "$e"; done
	show_group "$1"
	echo "  Bridges may stay on pcieport: it does no DMA of its own. Every other"
	echo "  member must be on the stub, vfio-pci or no driver."
	bdrv=$(driver_of "$bridge")
	if [ "$bdrv" = shpchp ]; then
		echo "  The bridge $bridge is on shpchp, which the IOMMU core counts as a"
		echo "  driver using the DMA API, so the group cannot be bound yet:"
		m=$(mark)
		echo "# smmuctl bind $1 --window 0x100000:16M --space vm1"
		if smmuctl bind "$1" --window 0x100000:16M --space vm1 2>&1; then
			fail "bound with the bridge on shpchp"
			smmuctl unbind "$1" >/dev/null
		fi
		log=$(klog "$bridge is bound to shpchp" "$m")
		if [ -n "$log" ]; then echo "$log"; else fail "no kernel log line names $bridge"; fi
		echo "  Handed over, or simply off its driver, the bridge no longer blocks"
		echo "  the group (its SHPC slot cannot hot-plug meanwhile):"
		echo "# echo $bridge > /sys/bus/pci/drivers/shpchp/unbind"
		echo "$bridge" > /sys/bus/pci/drivers/shpchp/unbind
	fi
	run smmuctl bind "$1" --window 0x100000:16M --space vm1
	run smmuctl info "$1"
	for e in "$@"; do
		[ -e "/sys/kernel/debug/smmu-assign/$e" ] || fail "$e is not bound"
	done
	run smmuctl unbind "$1"
	if [ "$bdrv" = shpchp ]; then
		echo "# echo $bridge > /sys/bus/pci/drivers/shpchp/bind"
		echo "$bridge" > /sys/bus/pci/drivers/shpchp/bind
		[ "$(driver_of "$bridge")" = shpchp ] || fail "$bridge is not back on shpchp"
	fi
	for e in "$@"; do run smmuctl giveback "$e"; done
	for e in "$@"; do show "$e"; done
	echo "  the bridge $bridge: driver=$(driver_of "$bridge")"
else
	fail "no edu behind a PCIe-to-PCI bridge"
fi

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

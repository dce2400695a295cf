#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the test-bed initramfs. The kernel command line says what to run:
#   testbed.mode=check  run every selftest, then report TAP and the kernel log
#   testbed.mode=demo   run the narrated demo
#   testbed.mode=bench  run smmua-bench (make bench), with the floor module
# Tests write to files, not to the console, so kernel messages cannot tear
# their TAP lines; everything is printed between markers at the end.

/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mkdir -p /dev/hugepages && mount -t hugetlbfs hugetlbfs /dev/hugepages

mode=check
lockdown=
tests=$(cat /selftests/run-order 2>/dev/null)
for arg in $(cat /proc/cmdline); do
	case $arg in
	testbed.mode=*) mode=${arg#testbed.mode=} ;;
	# A comma-separated subset, for a run on another machine variant.
	testbed.tests=*) tests=$(echo "${arg#testbed.tests=}" | tr , ' ') ;;
	# Lock the kernel down once the modules are in (below).
	testbed.lockdown=*) lockdown=${arg#testbed.lockdown=} ;;
	# Settings for the selftests, e.g. the fuzzer's seed.
	testbed.env.*=*) export "${arg#testbed.env.}" ;;
	esac
done

# Helper modules of the booted kernel: VFIO for the hand-over tests,
# pci-stub as a foreign driver, and uio_pci_generic as a driver that uses
# the DMA API (the group tests put a group member on it).
for m in irqbypass vfio vfio_iommu_type1 vfio_virqfd vfio-pci-core vfio-pci pci-stub \
	uio uio_pci_generic; do
	f=$(find /lib/modules -name "$m.ko" | head -n1)
	[ -n "$f" ] && insmod "$f" 2>/dev/null
done

export SMMU_ASSIGN_KO=/lib/smmu_assign.ko
insmod $SMMU_ASSIGN_KO || echo "testbed: insmod smmu_assign.ko failed"

# Lockdown as a Secure Boot machine has it. Not by the kernel's lockdown=
# parameter: a locked-down kernel loads only modules signed by a key it
# trusts, and smmu_assign.ko is not signed by Debian's. Raising it here
# gives the same lockdown for everything the tests do.
if [ -n "$lockdown" ]; then
	echo "$lockdown" > /sys/kernel/security/lockdown ||
		echo "testbed: lockdown $lockdown failed"
	echo "testbed: lockdown $(cat /sys/kernel/security/lockdown)"
fi

finish() {
	# Quiet the console so the dumps below are not interleaved.
	dmesg -n 1
	if [ -e /sys/kernel/debug/kmemleak ]; then
		echo scan > /sys/kernel/debug/kmemleak
		sleep 1
		echo scan > /sys/kernel/debug/kmemleak
		echo "=== KMEMLEAK BEGIN ==="
		cat /sys/kernel/debug/kmemleak
		echo "=== KMEMLEAK END ==="
	fi
	echo "=== DMESG BEGIN ==="
	dmesg
	echo "=== DMESG END ==="
	echo "=== TESTBED DONE ==="
	sync
	poweroff -f
}

case $mode in
demo)
	/usr/share/smmu-assign/demo.sh
	;;
bench)
	dmesg -n 1
	[ -e /lib/smmua_floor.ko ] && insmod /lib/smmua_floor.ko
	echo "=== BENCH BEGIN ==="
	# shellcheck disable=SC2046
	smmua-bench $(echo "${SMMU_ASSIGN_BENCH_ARGS:-}" | tr , ' ') --json /tmp/bench.json
	echo "=== BENCH END status=$? ==="
	echo "=== JSON BEGIN ==="
	cat /tmp/bench.json
	echo "=== JSON END ==="
	;;
*)
	: > /tmp/tap
	# The lifecycle test unloads the module: it runs last.
	for t in $tests; do
		echo "testbed: running $t"
		echo "# selftest: $t" >> /tmp/tap
		/selftests/$t >> /tmp/tap 2>&1
		echo "# exit: $t $?" >> /tmp/tap
	done
	dmesg -n 1
	echo "=== TAP BEGIN ==="
	cat /tmp/tap
	echo "=== TAP END ==="
	;;
esac
finish

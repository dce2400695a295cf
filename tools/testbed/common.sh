# SPDX-License-Identifier: GPL-2.0
# Shared settings for the test-bed scripts. Sourced, never run.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${SMMU_ASSIGN_CACHE:-$TOP/.cache}
CROSS_COMPILE=${CROSS_COMPILE:-aarch64-linux-gnu-}
export ARCH=arm64 CROSS_COMPILE

# Debian packages the test bed needs on the host, and the command or file
# proving each. Recommends are not installed: list what is needed (QEMU's
# virt machine loads its default NIC's ROM from ipxe-qemu). Debian's 6.12
# module builds need pahole (BTF), and its modules are xz-compressed.
HOST_PACKAGES="gcc-aarch64-linux-gnu:aarch64-linux-gnu-gcc
libc6-dev-arm64-cross:/usr/aarch64-linux-gnu/lib/libc.a
qemu-system-arm:qemu-system-aarch64
ipxe-qemu:/usr/lib/ipxe/qemu/efi-virtio.rom
cpio:cpio
xz-utils:xz
dwarves:pahole
bc:bc
bison:bison
flex:flex
libssl-dev:/usr/include/openssl/ssl.h
libelf-dev:/usr/include/libelf.h
linux-source-6.1:/usr/src/linux-source-6.1.tar.xz
python3:python3
g++:g++
libjson-c-dev:arm64:/usr/lib/aarch64-linux-gnu/libjson-c.a"
# Installing and packaging (install-tests.sh): DKMS, debhelper with its DKMS
# add-on, lintian, pkg-config, openssl for a signing key, kmod's depmod.
HOST_PACKAGES="$HOST_PACKAGES
dkms:dkms
debhelper:dh
dh-dkms:/usr/bin/dh_dkms
dpkg-dev:dpkg-buildpackage
lintian:lintian
pkg-config:pkg-config
openssl:openssl
kmod:/sbin/depmod"

log() { printf '[testbed] %s\n' "$*" >&2; }
die() { printf '[testbed] error: %s\n' "$*" >&2; exit 1; }

# Install whichever host packages are missing (needs root, as CI has).
ensure_host_packages() {
	local missing="" entry pkg probe
	for entry in $HOST_PACKAGES; do
		# The probe is after the last colon: a package may be pkg:arch.
		pkg=${entry%:*} probe=${entry##*:}
		case $probe in
		/*) [ -e "$probe" ] && continue ;;
		*) command -v "$probe" >/dev/null 2>&1 && continue ;;
		esac
		missing="$missing $pkg"
	done
	[ -z "$missing" ] && return 0
	log "installing Debian packages:$missing"
	[ "$(id -u)" = 0 ] || die "need root to install:$missing"
	case $missing in *:arm64*) ensure_arm64_arch ;; esac
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 || die "apt-get update failed"
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >&2 ||
		die "apt-get install failed"
}

# Make sure apt can fetch arm64 packages (used only for apt-get download).
ensure_arm64_arch() {
	dpkg --print-foreign-architectures | grep -qx arm64 && return 0
	log "adding the arm64 architecture to apt"
	dpkg --add-architecture arm64
	apt-get update -qq >&2 || die "apt-get update failed"
}

# Run one kselftest-harness unit test on the host: a result line per TAP
# line, labelled LABEL, and a failure if it dies without saying so. Adds to
# the caller's pass and fail.
unit_tap() { # LABEL BINARY
	local label=$1 tap rc failed=0 line
	tap=$("$2" 2>&1)
	rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*) pass=$((pass + 1)); echo "ok      $label: ${line#ok }" ;;
		"not ok "*) fail=$((fail + 1)) failed=1; echo "FAIL    $label: ${line#not ok }" ;;
		esac
	done <<<"$tap"
	if [ "$rc" != 0 ] && [ $failed = 0 ]; then
		fail=$((fail + 1)); echo "FAIL    $label exited with status $rc"
	fi
}

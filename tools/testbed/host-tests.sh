#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# host-tests.sh COUNTS
# What runs on the build host: the uapi header compiles standalone as C and
# as C++, for the host and for arm64, with no implicit padding (a hole would
# differ between ABIs and leak kernel stack).
set -uo pipefail
. "$(dirname "$0")/common.sh"

counts=$1
pass=0 fail=0
check() { # name command...
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then
		pass=$((pass + 1)); echo "ok      host: $name"
	else
		fail=$((fail + 1)); echo "FAIL    host: $name"; echo "$out" | sed 's/^/          /'
	fi
}

hdr=$TOP/include/uapi/linux/smmu_assign.h
uapi_flags="-fsyntax-only -Wall -Wextra -Wpadded -Werror -I$TOP/include/uapi"
check "uapi header compiles as C (gcc, -Wpadded)" \
	gcc -x c -std=c99 -pedantic $uapi_flags "$hdr"
check "uapi header compiles as C++ (g++, -Wpadded)" \
	g++ -x c++ -std=c++11 $uapi_flags "$hdr"
check "uapi header compiles as C for arm64" \
	"${CROSS_COMPILE}gcc" -x c -std=c99 -pedantic $uapi_flags "$hdr"

echo "host: $pass passed, $fail failed, 0 skipped"
echo "$pass $fail 0" >"$counts"

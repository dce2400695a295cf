#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# host-tests.sh COUNTS
# What runs on the build host: the uapi header compiles standalone as C and
# as C++, for the host and for arm64, with no implicit padding (a hole would
# differ between ABIs and leak kernel stack); the kernel's checkpatch.pl
# --strict finds nothing in the module's sources and the uapi header; the
# library and smmuctl build natively with -Werror.
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

# checkpatch of the kernel the module targets; it finds spelling.txt and
# const_structs.checkpatch next to itself. Files are named relative to the
# top, as in a kernel tree, so include/uapi/ gets the uapi rules (no BIT()).
# Any ERROR, WARNING or CHECK fails the file. Sources are what git tracks or
# would (build products are ignored); outside git, all but Kbuild outputs.
checkpatch_file() { # checkpatch.pl FILE
	local out
	out=$(cd "$TOP" && perl "$1" --strict --no-tree --quiet \
		--show-types --color=never -f "$2" 2>&1)
	local rc=$?
	printf '%s\n' "$out"
	[ $rc = 0 ] && ! grep -qE '^(ERROR|WARNING|CHECK):' <<<"$out"
}
if src=$("$TOP/tools/testbed/linux-source.sh") &&
   [ -x "$src/scripts/checkpatch.pl" ]; then
	if git -C "$TOP" rev-parse --git-dir >/dev/null 2>&1; then
		files=$(git -C "$TOP" ls-files --cached --others --exclude-standard drivers)
	else
		files=$(cd "$TOP" && find drivers -type f ! -name '.*' \
			! -name '*.o' ! -name '*.ko' ! -name '*.mod' ! -name '*.mod.c' \
			! -name modules.order)
	fi
	for f in $files include/uapi/linux/smmu_assign.h; do
		[ -f "$TOP/$f" ] || continue
		check "checkpatch --strict $f" \
			checkpatch_file "$src/scripts/checkpatch.pl" "$f"
	done
else
	check "checkpatch: the linux-source tree is available" false
fi

# The library and smmuctl, natively: CFLAGS carry -Werror, and a second
# compiler and ABI (x86-64 here) catches what the arm64 build does not.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check "libsmmu-assign and smmuctl build natively with -Werror" \
	env CROSS_COMPILE= make -C "$TOP/tools" OUTPUT="$tmp/tools"
check "smmuctl (native) prints its usage" "$tmp/tools/smmuctl" help

echo "host: $pass passed, $fail failed, 0 skipped"
echo "$pass $fail 0" >"$counts"

# smmuctl's parsers and JSON writer (tools/tests): each harness test counts
# as one host test. Runs after the summary above, so it rewrites COUNTS.
ut_out=$(mktemp -d)
if ut_log=$(make -C "$TOP/tools/tests" OUTPUT="$ut_out" 2>&1); then
	while IFS= read -r line; do
		case $line in
		"ok "*) pass=$((pass + 1)); echo "ok      host: parse_test: ${line#ok }" ;;
		"not ok "*) fail=$((fail + 1)); echo "FAIL    host: parse_test: ${line#not ok }" ;;
		esac
	done < <("$ut_out/parse_test" 2>&1)
else
	fail=$((fail + 1)); echo "FAIL    host: tools/tests build"; echo "$ut_log" | sed 's/^/          /'
fi
rm -rf "$ut_out"
echo "host (with parse_test): $pass passed, $fail failed, 0 skipped"
echo "$pass $fail 0" >"$counts"

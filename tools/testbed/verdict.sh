#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# verdict.sh LOG LABEL COUNTS [FAULTS]
# Judge one guest run from its console log: every TAP result of every
# selftest, a selftest that died without reporting, and the kernel log (any
# WARN, BUG, Oops, KASAN, UBSAN, lockdep or list-debug report, or a kmemleak
# report fails the run even when every test passed). FAULTS (yes or no)
# says whether this kernel delivers faults to the module: with yes, a test
# skipped for undelivered faults fails; with no, the module must have said
# at load that they are not delivered. Prints the results and writes
# "passed failed skipped" to COUNTS.
set -uo pipefail

log=$1 label=$2 counts=$3 faults=${4:-}
nofaults='faults not delivered by this kernel'
section() { sed -n "/^=== $1 BEGIN ===\r\?$/,/^=== $1 END ===\r\?$/p" "$log" | tr -d '\r'; }

pass=0 fail=0 skip=0
report() { # status name
	case $1 in
	ok) pass=$((pass + 1)); echo "ok      $label: $2" ;;
	skip) skip=$((skip + 1)); echo "skip    $label: $2" ;;
	*) fail=$((fail + 1)); echo "FAIL    $label: $2" ;;
	esac
}

tap=$(section TAP)
if [ -z "$tap" ] && ! grep -q '^=== TESTBED DONE' "$log"; then
	report fail "the guest did not finish (see $log)"
fi

# Top-level TAP lines of each selftest binary, and its exit status.
while IFS= read -r line; do
	case $line in
	"# selftest: "*) bin=${line#\# selftest: }; bin_fail=0 bin_seen=0 ;;
	"ok "*"# SKIP $nofaults"*)
		bin_seen=1
		if [ "$faults" = yes ]; then
			report fail "$bin: ${line#ok } (this kernel delivers faults)"
		else
			report skip "$bin: ${line#ok }"
		fi ;;
	"ok "*"# SKIP"*) bin_seen=1; report skip "$bin: ${line#ok }" ;;
	"ok "*) bin_seen=1; report ok "$bin: ${line#ok }" ;;
	"not ok "*) bin_seen=1 bin_fail=1; report fail "$bin: ${line#not ok }" ;;
	"# exit: "*)
		set -- ${line#\# exit: }
		if [ "$2" != 0 ] && [ $bin_fail = 0 ]; then
			report fail "$bin exited with status $2"
		elif [ $bin_seen = 0 ]; then
			report fail "$bin reported no result"
		fi ;;
	esac
done <<<"$tap"
[ $((pass + fail + skip)) != 0 ] || report fail "no selftest reported a result"

# Kernel-log checkers: the whole console (it carries the kernel log until the
# end) and the dmesg dump.
bad='WARNING:|------------\[ cut here \]|BUG:|Oops|Unable to handle kernel|Kernel panic|KASAN:|UBSAN:|DEBUG_LOCKS_WARN_ON|possible recursive locking|possible circular locking|inconsistent lock state|suspicious RCU usage|list_add corruption|list_del corruption|Call trace:'
found=$( (cat "$log"; section DMESG) | tr -d '\r' |
	grep -v '^=== ' | grep -E "$bad" | sort -u | head -n 20)
if [ -n "$found" ]; then
	report fail "kernel log has reports:"
	echo "$found" | sed 's/^/          /'
else
	report ok "kernel log clean (no WARN/BUG/Oops/KASAN/UBSAN/lockdep/list reports)"
fi
case $faults in
yes | no)
	said=no
	# The console streams the kernel log live; the dump at the end may
	# have lost the load-time notice to a ring buffer that wrapped. (No
	# pipe: grep -q would stop early and pipefail see a SIGPIPE.)
	grep -q "smmu_assign: $nofaults" "$log" && said=yes
	if [ $said = yes ] && [ "$faults" = yes ]; then
		report fail "the module says faults are not delivered, but this kernel delivers them"
	elif [ $said = no ] && [ "$faults" = no ]; then
		report fail "the module did not say that this kernel delivers no faults"
	else
		report ok "fault delivery as expected for this kernel (delivered: $faults)"
	fi ;;
esac
# A boot asked to lock the kernel down (testbed.lockdown=LEVEL, from
# SMMU_ASSIGN_LOCKDOWN) must have run at that level: /init prints the
# securityfs file, the level in force in brackets.
# (grep on the file: grep -q in a pipe would stop early, see above.)
want=$(grep -m1 -o 'testbed\.lockdown=[a-z]*' "$log")
want=${want#*=}
if [ -n "$want" ]; then
	if grep -q "^testbed: lockdown .*\[$want\]" "$log"; then
		report ok "the kernel ran locked down ($want)"
	else
		report fail "the kernel was not locked down ($want asked)"
	fi
fi
if grep -q '^=== KMEMLEAK BEGIN' "$log"; then
	leaks=$(section KMEMLEAK | grep -c 'unreferenced object')
	if [ "$leaks" != 0 ]; then
		report fail "kmemleak: $leaks unreferenced objects"
		section KMEMLEAK | head -n 40 | sed 's/^/          /'
	else
		report ok "kmemleak scan clean"
	fi
fi

echo "$label: $pass passed, $fail failed, $skip skipped"
echo "$pass $fail $skip" > "$counts"

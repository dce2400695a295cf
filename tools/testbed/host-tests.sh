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

# Documentation/uapi.rst copies the header's kerneldoc: every struct's
# definition, field descriptions, text and errno table, and every constant.
# Compared after dropping rst literals and whitespace, so a header change
# without the matching doc change fails here.
uapi_doc_matches() { # HEADER DOC
	python3 - "$1" "$2" <<'EOF'
import re, sys

hdr, doc = open(sys.argv[1]).read(), open(sys.argv[2]).read()
problems = []

def norm(s):
    s = re.sub(r'\s+', ' ', s.replace('``', '').replace('@', '')).strip()
    return s.rstrip('.').strip()

def split_top(s):
    out, depth, cur = [], 0, ''
    for ch in s:
        depth += (ch == '(') - (ch == ')')
        if ch == ',' and depth == 0:
            out.append(cur)
            cur = ''
        else:
            cur += ch
    return [x.strip() for x in out + [cur] if x.strip()]

def header_structs():
    for m in re.finditer(r'/\*\*\n(.*?)\*/\n(struct (\w+) \{.*?\n\};)', hdr, re.S):
        lines = [re.sub(r'^ \* ?', '', l) for l in m.group(1).split('\n')]
        fields, i = [], 1
        while i < len(lines) and lines[i].startswith('@'):
            name, desc = re.match(r'@(\w+): ?(.*)', lines[i]).groups()
            i += 1
            while i < len(lines) and lines[i].startswith('\t'):
                desc += ' ' + lines[i].strip()
                i += 1
            fields.append((name, norm(desc)))
        ioctl = re.search(r'ioctl\((\w+)\)', lines[0])
        prose, errors = [], None
        for para in re.split(r'\n\s*\n', '\n'.join(lines[i:])):
            if para.strip().startswith('Errors:'):
                errors = []
                for item in split_top(norm(para.strip()[7:])):
                    e = re.match(r'^(.*?)\s*\((.*)\)$', item)
                    errors.append(e.groups() if e else (item, ''))
            elif para.strip():
                prose.append(norm(para))
        yield dict(name=m.group(3), body=norm(m.group(2)), fields=fields,
                   ioctl=ioctl and ioctl.group(1), prose=prose, errors=errors)

# list-table caption -> rows of cells, continuation lines joined.
tables = {}
for m in re.finditer(r'^\.\. list-table:: (.*)\n((?:[ \t]*:.*\n)*)\n((?:   .*\n|\n(?=   ))*)', doc, re.M):
    rows = []
    for line in m.group(3).split('\n'):
        if line.startswith('   * - '):
            rows.append([line[7:]])
        elif line.startswith('     - '):
            rows[-1].append(line[7:])
        elif line.strip():
            rows[-1][-1] += ' ' + line.strip()
    tables[m.group(1).strip()] = [[norm(c) for c in r] for r in rows[1:]]
blocks = {norm(b) for b in re.findall(r'^\.\. code-block:: c\n\n((?:   .*\n|\n)*)', doc, re.M)}
flat = norm(re.sub(r'\s+', ' ', doc))

seen = set()
for st in header_structs():
    name = st['name']
    if st['body'] not in blocks:
        problems.append('struct %s: no code block identical to the header' % name)
    cap = 'struct ' + name
    seen.add(cap)
    got = [tuple(r) for r in tables.get(cap, [])]
    if got != st['fields']:
        problems.append('%s: field table differs\n  header: %s\n  doc:    %s' % (cap, st['fields'], got))
    for para in st['prose']:
        if para not in flat:
            problems.append('%s: text missing from the doc: %s' % (cap, para))
    if st['errors'] is not None:
        cap = 'Errors of ' + (st['ioctl'] or name)
        seen.add(cap)
        want = [(e, w or '—') for e, w in st['errors']]
        got = [tuple(r) for r in tables.get(cap, [])]
        if got != want:
            problems.append('%s: errno table differs\n  header: %s\n  doc:    %s' % (cap, want, got))
for cap in tables:
    if (cap.startswith('struct ') or cap.startswith('Errors of ')) and cap not in seen:
        problems.append('table "%s" describes nothing in the header' % cap)
for const in sorted(set(re.findall(r'\b(SMMU_ASSIGN_\w+)', hdr))):
    if const not in flat and not const.startswith('SMMU_ASSIGN_CMD_'):
        problems.append('%s is not documented' % const)
print('\n'.join(problems))
sys.exit(1 if problems else 0)
EOF
}
check "Documentation/uapi.rst matches the uapi header" \
	uapi_doc_matches "$hdr" "$TOP/Documentation/uapi.rst"

# checkpatch of the kernel the module targets; it finds spelling.txt and
# const_structs.checkpatch next to itself. Files are named relative to the
# top, as in a kernel tree, so include/uapi/ gets the uapi rules (no BIT()).
# Any ERROR, WARNING or CHECK fails the file. Sources are what git tracks or
# would (build products are ignored); outside git, all but Kbuild outputs.
# compat.h is the one place allowed to test LINUX_VERSION_CODE: exactly
# those two types are ignored there, and nowhere else.
checkpatch_file() { # checkpatch.pl FILE
	local out ignore=
	[ "$2" = drivers/smmu-assign/compat.h ] &&
		ignore=--ignore=LINUX_VERSION_CODE,CONSTANT_COMPARISON
	out=$(cd "$TOP" && perl "$1" --strict --no-tree --quiet $ignore \
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

# smmuctl's parsers and JSON writer (tools/tests): each harness test counts
# as one host test; a harness that dies without saying so fails too.
ut_out=$tmp/tests
if ut_log=$(make -C "$TOP/tools/tests" OUTPUT="$ut_out" 2>&1); then
	unit_tap "host: parse_test" "$ut_out/parse_test"
else
	fail=$((fail + 1)); echo "FAIL    host: tools/tests build"; echo "$ut_log" | sed 's/^/          /'
fi

# How it installs (make install, make sign, DKMS, the Debian packages), in
# its own script; its counts are added to these.
bash "$TOP/tools/testbed/install-tests.sh" "$tmp/install.counts"
if read -r ipass ifail _ <"$tmp/install.counts"; then
	pass=$((pass + ipass)) fail=$((fail + ifail))
else
	fail=$((fail + 1)); echo "FAIL    host: install-tests.sh ended without its counts"
fi

echo "host: $pass passed, $fail failed, 0 skipped"
echo "$pass $fail 0" >"$counts"

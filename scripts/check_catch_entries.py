#!/usr/bin/env python3
"""Checks that the ctest entries catch_discover_tests made for a Catch2 binary run its
cases one to one. Usage: check_catch_entries.py CTEST BUILD_DIR EXE

catch_discover_tests lists the cases, splits the list at ';' (a CMake list), escapes
',' '[' ']' and passes each name as a test spec, in which ',' means "or", '*' is a
wildcard and '\\' escapes. So a name with ';' became entries that ran nothing, and
passed. This script reads the entries from `ctest --show-only=json-v1`, runs each
entry's own command with --list-test-names-only, and fails when an entry matches no
case or more than one, when the case it matches is not the one it is named after, or
when a case has no entry. It also fails on a case name that cannot be typed back as a
plain filter: one with , ; [ ] \\ * or " in it, a leading ~ # or space, or a trailing
space.
"""
import json, re, subprocess, sys

BAD_NAME = re.compile(r'[,;\[\]\\*"]|^[~# ]|\s$')


def names(cmd):
    """The case names a Catch2 command line selects, one per line of its listing."""
    out = subprocess.run(cmd + ['--list-test-names-only'], capture_output=True, text=True)
    return [l for l in out.stdout.split('\n') if l]


def main():
    ctest, build, exe = sys.argv[1:4]
    out = subprocess.run([ctest, '-N', '--show-only=json-v1'], cwd=build, capture_output=True,
                         text=True, check=True)
    entries = [t for t in json.loads(out.stdout)['tests'] if t['command'][0] == exe]
    cases = names([exe])
    problems = []
    if not entries:
        problems.append(f'no ctest entries run {exe}')
    for c in cases:
        if BAD_NAME.search(c):
            problems.append(f'case name not usable as a filter: "{c}"')
    matched = []
    for t in entries:
        got = names(t['command'])
        matched += got
        if len(got) != 1:
            problems.append(f'ctest entry "{t["name"]}" runs {len(got)} cases: {got}')
        elif got[0] != t['name']:
            problems.append(f'ctest entry "{t["name"]}" runs case "{got[0]}"')
    for c in cases:
        if c not in matched:
            problems.append(f'case "{c}" has no ctest entry of its own')
    for p in problems:
        print(p)
    print(f'{len(entries)} ctest entries, {len(cases)} Catch2 cases, {len(problems)} problems')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())

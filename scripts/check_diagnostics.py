#!/usr/bin/env python3
"""Checks that every user diagnostic is exercised by a test: those of frontend/ and
passes/ (and their notes) by an '# expect-error: L:C: TEXT' (expect-note) line in
tests/error/*.cnn, those of the ONNX
importer (frontend/onnx/*.cpp: its error calls, and its `unsupported(WHAT)` calls, which
become lines of one error) by an expected text in tests/onnx/errors.json. Prints the
uncovered ones and exits 1; --list prints every diagnostic pattern and where it is covered.

Each `x.error(loc, MESSAGE)` call becomes patterns: the fixed text pieces of MESSAGE in
order, a gap for each variable part. A ternary gives one pattern per branch; a local
`std::string v = ...; v += ...;` is followed; a bare parameter of the enclosing function
(fail(t, msg), window(..., what), checkInt(v, name)) is followed to each call site in
the file, whose literal argument makes a pattern of its own, reported at that call; a
local `std::string why;` is what its assignments and the functions it is passed to (an
out-parameter, assigned there) put in it.
A pattern is covered when its pieces all appear, in order, in one expected text.
A call that yields no fixed text at all is reported as not understood (see SAMPLES).
"""
import itertools, json, pathlib, re, sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
ERROR = r'(?:\.|->)\s*(?:error|note)\s*\('  # diag.error(loc, MESSAGE), diag.note(loc, MESSAGE)
# name -> (source globs, calls that make a diagnostic, where the tests' texts are).
KINDS = {
    'dsl': (['frontend/*.cpp', 'frontend/*.h', 'passes/*.cpp', 'passes/*.h'], [ERROR],
            'tests/error/*.cnn'),
    'onnx': (['frontend/onnx/*.cpp'], [ERROR, r'\bunsupported\s*\('], 'tests/onnx/errors.json'),
}
# For calls this script cannot understand: a regex searched in 'FILE:FUNCTION: MESSAGE
# EXPRESSION' -> sample messages to check instead, '{}' marking a variable part.
SAMPLES = {
    # Translator::add passes on the message of the IR's shape rule (tests/error/*.cnn
    # test those rules); a conv kernel larger than its input stands for them.
    r'onnx/Import\.cpp:add: m$': ['a {}x{} kernel does not fit the padded {} input of conv2d {}'],
}
# Patterns (a regex on the pattern as printed, '{}' for a gap) that no small .cnn or
# .onnx file can trigger -> the Catch2 test covering them, or why nothing can.
NOT_REACHABLE = {
    r'^source is too large': 'a 16 MB file; tested in "the source size limit"',
    r'^too many layers': '10,001 layers; tested in "the layer limit counts layers as its message says"',
    r'^the ONNX file is larger than': 'a 1 GB file',
    r'--input-shape gives|^--input-shape:': 'needs Options::inputShapes, which errors.json '
                                            'cannot give; tested in "an ONNX input\'s dynamic '
                                            'dimensions are pinned by input shapes"',
    r'nodes or attribute:|node or attributes:': 'the two plurals follow one count',
    r'its data is in an external file': 'the ONNX checker, which runs first, refuses external '
                                        'data unless its file exists (relative to the working '
                                        'directory)',
    r"^input '{}' is not defined before it": 'the ONNX checker refuses a node whose input no '
                                             'earlier node defines; reached only through a node '
                                             'that fails without marking its outputs failed',
    r'^kernel must have 2 values': "pair2 is given the weight's two spatial dimensions",
    r'not understood: e\.what\(\)': "a weight shape the runtime's Tensor refuses: "
                                      'decodeTensor already refuses negative and huge dimensions',
}
KEYWORDS = {'if', 'for', 'while', 'switch', 'catch', 'return', 'sizeof'}
LIT = r'"(?:\\.|[^"\\])*"'
TOKEN = re.compile(LIT + r"|'(?:\\.|[^'\\\n]){1,4}'|//[^\n]*|/\*.*?\*/|.", re.S)
HEADER = re.compile(r'\b(\w+)\s*\(([^(){};]*)\)\s*(?:const\s*)?\{')  # a function definition
GAP = [(None, [None])]

def split_top(s, seps):
    """[(text, separator)]: s split at top-level (not in brackets or literals) seps."""
    parts, depth, start = [], 0, 0
    for m in TOKEN.finditer(s):
        t, i = m.group(), m.start()
        depth += (t in ('(', '[', '{')) - (t in (')', ']', '}'))
        if depth == 0 and t in seps and not {s[i:i + 2], s[i - 1:i + 1]} & {'++', '+=', '::'}:
            parts.append((s[start:i], t))
            start = i + 1
    return parts + [(s[start:], None)]

def balanced(text, open_pos, pair='()'):
    """Index just past the ')' that closes the '(' at open_pos, or None."""
    depth = 0
    for m in TOKEN.finditer(text, open_pos):
        depth += (m.group() == pair[0]) - (m.group() == pair[1])
        if depth == 0:
            return m.end()

def args_of(text, open_pos):
    end = balanced(text, open_pos)
    return [a.strip() for a, _ in split_top(text[open_pos + 1:end - 1], ',')] if end else None

def unquote(lit):
    return bytes(lit[1:-1], 'utf-8').decode('unicode_escape')

class Source:
    def __init__(self, path):
        self.name = str(path.relative_to(ROOT))
        tokens = TOKEN.findall(path.read_text())  # comments blanked, line numbers kept
        self.text = ''.join(re.sub(r'[^\n]', ' ', t) if t[:2] in ('//', '/*') else t for t in tokens)
        # The same text with literals blanked too, for searching code only; offsets are equal.
        self.code = ''.join(t[0] + ' ' * (len(t) - 2) + t[-1] if t[0] in '"\'' and len(t) > 1 else t
                            for t in TOKEN.findall(self.text))
        self.headers = [m for m in HEADER.finditer(self.code) if m.group(1) not in KEYWORDS]

    def line(self, pos):
        return self.text.count('\n', 0, pos) + 1

    def function(self, pos):
        return max((h for h in self.headers if h.start() < pos), key=lambda h: h.start(), default=None)

    def call_sites(self, name):  # (position, arguments) of calls to `name`, not definitions
        for m in re.finditer(r'\b%s\s*\(' % name, self.code):
            end = balanced(self.text, m.end() - 1)
            if end and not re.match(r'\s*(const\s*)?\{', self.text[end:]):
                yield m.start(), args_of(self.text, m.end() - 1)

    def variants(self, expr, pos, depth=0):
        """[(line or None, [text piece, or None for a gap])] of a string expression at pos."""
        expr = expr.strip()
        while expr.startswith('(') and balanced(expr, 0) == len(expr):
            expr = expr[1:-1].strip()
        if depth > 8:
            return GAP
        if len(split_top(expr, '?')) > 1:  # c ? a : b; a nested ternary's ':' stays with it
            rest = expr[len(split_top(expr, '?')[0][0]) + 1:]
            nest = at = 0
            for a, sep in split_top(rest, '?:'):
                at += len(a) + 1
                if sep == ':' and nest == 0:
                    return self.variants(rest[:at - 1], pos, depth) + self.variants(rest[at:], pos, depth)
                nest += (sep == '?') - (sep == ':')
        terms = [self.term(t.strip(), pos, depth) for t, _ in split_top(expr, '+')]
        return [(next((l for l, _ in combo if l), None), [p for _, ps in combo for p in ps])
                for combo in itertools.product(*terms)]

    def term(self, t, pos, depth):
        if re.fullmatch(r'(%s\s*)+' % LIT, t, re.S) or re.fullmatch(r"'(\\.|[^'\\])'", t):
            return [(None, [''.join(unquote(x) for x in re.findall(LIT + r"|'.*'", t))])]
        m = re.fullmatch(r'(std::string\s*)?\((.*)\)', t, re.S)
        if m and len(split_top(m.group(2), ',')) == 1 and balanced(t, t.index('(')) == len(t):
            return self.variants(m.group(2), pos, depth + 1)
        if not re.fullmatch(r'[A-Za-z_]\w*', t) or not (fn := self.function(pos)):
            return GAP
        base = fn.end()
        decl = list(re.finditer(r'std::string\s+%s\s*=(.*?);' % t, self.code[base:pos], re.S))
        if decl:  # a local string: its initializer plus every `+=` up to here
            base += decl[-1].start()
            found = re.finditer(r'(?:std::string\s+%s\s*=|\b%s\s*\+=)(.*?);' % (t, t), self.code[base:pos], re.S)
            parts = ['(%s)' % self.text[base + a.start(1):base + a.end(1)] for a in found]
            return self.variants(' + '.join(parts), pos, depth + 1)
        out_var = list(re.finditer(r'std::string\s+%s\s*;' % t, self.code[base:pos]))
        if out_var:  # no initializer: what is assigned to it from there on
            return self.assigned(t, base + out_var[-1].end(), pos, depth + 1) or GAP
        names = param_names(fn)
        if t not in names:
            return GAP
        out, k = [], names.index(t)
        for at, args in self.call_sites(fn.group(1)):  # the parameter: each caller's argument
            if args and k < len(args):
                out += [(l or self.line(at), ps) for l, ps in self.variants(args[k], at, depth + 1)]
        return out or GAP

    def assigned(self, v, start, end, depth):
        """Variants of what `v = ...;` assigns in [start, end), and the functions that `v` is
        passed to assign to their parameter (an out-parameter: decodeTensor(t, c, why))."""
        out = []
        for a in re.finditer(r'\b%s\s*=(?!=)(.*?);' % v, self.code[start:end], re.S):
            expr = self.text[start + a.start(1):start + a.end(1)]
            out += self.variants(expr, start + a.start(1), depth)
        for c in re.finditer(r'\b(\w+)\s*\(', self.code[start:end]):
            args = args_of(self.text, start + c.end() - 1) or []
            if v not in args or depth > 8:
                continue
            for src in self.all:
                for h in (h for h in src.headers if h.group(1) == c.group(1)):
                    names = param_names(h)
                    if args.index(v) < len(names):
                        body_end = balanced(src.code, h.end() - 1, '{}') or len(src.code)
                        out += [(None, ps) for _, ps in src.assigned(names[args.index(v)], h.end(),
                                                                    body_end, depth + 1)]
        return out

def param_names(fn):
    params = split_top(fn.group(2).replace('<', '(').replace('>', ')'), ',')
    return [(re.findall(r'\w+', re.sub(r'=.*', '', p, flags=re.S)) or [''])[-1] for p, _ in params]

def pieces(parts):  # adjacent text joined, gaps and empty text dropped; and as shown, {} a gap
    joined = ''.join('\0' if p is None else p for p in parts)
    return tuple(p for p in joined.split('\0') if p), re.sub('\0+', '{}', joined)

def patterns_of(globs, calls):
    """pieces -> (file, line, shown) of the first site, for the diagnostics of these files."""
    patterns = {}
    paths = sorted(p for g in globs for p in ROOT.glob(g))
    sources = [Source(p) for p in paths]
    for src in sources:
        src.all = sources  # out-parameters are followed into the other files
    for src in sources:
        sites = [(m.start(), m.end() - 1) for c in calls for m in re.finditer(c, src.code)]
        for at, open_pos in sorted(sites):
            end = balanced(src.text, open_pos)
            if not end or re.match(r'\s*(const\s*)?\{', src.text[end:]):
                continue  # a definition, not a call
            args = args_of(src.text, open_pos)
            fn = src.function(at)
            expr = ' '.join((args or ['?'])[-1].split())
            key = '%s:%s: %s' % (src.name, fn.group(1) if fn else '?', expr)
            samples = [v for k, v in SAMPLES.items() if re.search(k, key)]
            if samples:
                found = [(None, [x for p in s.split('{}') for x in (p, None)]) for s in samples[0]]
            else:  # error(loc, MESSAGE) or unsupported(MESSAGE)
                found = src.variants(args[-1], at) if args and len(args) <= 2 else GAP
            for line, parts in found:
                ps, shown = pieces(parts)
                if not ps:  # no fixed text to look for: never covered
                    shown = '(not understood: %s)' % expr
                patterns.setdefault(ps or shown, (src.name, line or src.line(at), shown))
    return patterns

def expected_texts(where):
    """[(where it is, text)]: the tests' expected error texts."""
    if where.endswith('.json'):
        texts = json.loads((ROOT / where).read_text())
        return [('%s:%s' % (where, k), v) for k, v in texts.items()]
    expects = []
    for f in sorted(ROOT.glob(where)):
        for n, l in enumerate(f.read_text(errors='replace').splitlines(), 1):
            if m := re.match(r'^\s*#\s*expect-(?:error|note):\s*(\d+):(\d+):\s?(.*)$', l):
                expects.append(('%s:%d' % (f.relative_to(ROOT), n), m.group(3)))
    return expects

def main():
    summary, uncovered, used = [], 0, set()
    for kind, (globs, calls, where) in KINDS.items():
        patterns, expects, missing = patterns_of(globs, calls), expected_texts(where), 0
        for ps, (name, line, shown) in sorted(patterns.items(), key=lambda kv: kv[1]):
            look = re.compile('.*?'.join(map(re.escape, ps)), re.S) if isinstance(ps, tuple) else None
            cover = next((at for at, text in expects if look and look.search(text)), None)
            why = next((k for k in NOT_REACHABLE if re.search(k, shown)), None)
            used.add(why)
            missing += cover is None and why is None
            if '--list' in sys.argv or (cover is None and why is None):
                state = cover or ('not reachable from a small test file: ' + NOT_REACHABLE[why]
                                  if why else 'NOT COVERED')
                print('%s:%d: %r\n    %s' % (name, line, shown, state))
        summary.append('%d %s diagnostic patterns, %d not covered by %s'
                       % (len(patterns), kind, missing, where))
        uncovered += missing
    for k in sorted(set(NOT_REACHABLE) - used):  # a stale entry would mislead
        print('NOT_REACHABLE entry %r matches no diagnostic' % k)
        uncovered += 1
    print('; '.join(summary))
    return 1 if uncovered else 0

if __name__ == '__main__':
    sys.exit(main())

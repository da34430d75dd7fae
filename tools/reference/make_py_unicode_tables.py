#!/usr/bin/env python3
"""Generates metrics/py_unicode_tables.cc: the Python str character properties the metrics need.

The LongBench, needle and BABILong scorers run on Python 3.11 str methods, so headkv's C++ ports
must classify and lower-case every code point exactly as that CPython does (Unicode 14.0 in
3.11.7). This script reads the answers off the running interpreter itself, not off the Unicode
data files, so quirks of CPython's own tables are kept:

* lower: str.lower() of every code point whose lower-case is one other code point, as runs
  {first, last, stride, delta}. The one multi-code-point lower-casing (U+0130 -> "i" U+0307) and
  the context-dependent capital sigma are handled in metrics/py_unicode.cc; the script asserts that
  nothing else needs that.
* space: str.isspace() (what str.split() splits on).
* alnum: str.isalnum() (with "_", the `re` word characters that \\b looks at).
* decimal: str.isdecimal() (what `re`'s \\d matches in str patterns).
* case_ignorable and cased: the two properties CPython's lower() consults for the final-sigma
  rule. They are not exposed in Python, so they are measured with probes around U+03A3:
  lower(c + "Σ") ends in final sigma iff c is cased and not case-ignorable, and
  lower("AΣ" + c + "A") has final sigma iff c is neither. A code point that is both is only ever
  skipped as case-ignorable, so "cased" is stored for the non-ignorable ones only.

Usage: python3 tools/reference/make_py_unicode_tables.py --out metrics/py_unicode_tables.cc
"""

import argparse
import sys
import unicodedata

MAX_CODE_POINT = 0x10FFFF
SIGMA = "\u03a3"
FINAL_SIGMA = "\u03c2"


def is_surrogate(c):
    return 0xD800 <= c <= 0xDFFF


def ranges_of(pred):
    out = []
    start = None
    for c in range(MAX_CODE_POINT + 1):
        inside = not is_surrogate(c) and pred(c)
        if inside and start is None:
            start = c
        elif not inside and start is not None:
            out.append((start, c - 1))
            start = None
    if start is not None:
        out.append((start, MAX_CODE_POINT))
    return out


def lower_runs():
    """Single-code-point lower mappings as (first, last, stride, delta) runs."""
    pairs = []
    for c in range(MAX_CODE_POINT + 1):
        if is_surrogate(c):
            continue
        low = chr(c).lower()
        if len(low) != 1:
            assert c == 0x130, f"unexpected multi-code-point lower-casing of U+{c:04X}"
            continue
        if ord(low) != c:
            pairs.append((c, ord(low) - c))
    runs = []
    for c, delta in pairs:
        if runs:
            first, last, stride, d = runs[-1]
            if d == delta and first == last and c - last in (1, 2):
                runs[-1] = (first, c, c - last, d)
                continue
            if d == delta and c - last == stride:
                runs[-1] = (first, c, stride, d)
                continue
        runs.append((c, c, 1, delta))
    # The C++ lookup binary-searches on `first`, so runs must not interleave.
    for prev, cur in zip(runs, runs[1:]):
        assert prev[1] < cur[0], f"lower runs interleave at U+{cur[0]:04X}"
    return runs


def sigma_probe_tables():
    ignorable = []
    cased = []
    for c in range(MAX_CODE_POINT + 1):
        if is_surrogate(c) or c == ord(SIGMA):
            continue
        x = chr(c)
        before = (x + SIGMA).lower()[-1] == FINAL_SIGMA  # cased and not ignorable
        after = ("A" + SIGMA + x + "A").lower()[1] == FINAL_SIGMA  # neither
        if before:
            cased.append(c)
        elif not after:
            ignorable.append(c)
    cased.append(ord(SIGMA))  # Σ itself: cased (Lu), not ignorable.
    cased.sort()
    return collapse(ignorable), collapse(cased)


def collapse(points):
    out = []
    for c in points:
        if out and out[-1][1] == c - 1:
            out[-1] = (out[-1][0], c)
        else:
            out.append((c, c))
    return out


def emit_ranges(name, ranges):
    lines = [f"constexpr CodePointRange {name}[] = {{"]
    items = [f"{{0x{a:X}, 0x{b:X}}}" for a, b in ranges]
    for i in range(0, len(items), 6):
        lines.append("    " + ", ".join(items[i:i + 6]) + ",")
    lines.append("};")
    return "\n".join(lines)


def emit_lower(runs):
    lines = ["constexpr LowerRun kLowerRunsData[] = {"]
    items = [f"{{0x{a:X}, 0x{b:X}, {s}, {d}}}" for a, b, s, d in runs]
    for i in range(0, len(items), 4):
        lines.append("    " + ", ".join(items[i:i + 4]) + ",")
    lines.append("};")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    tables = {
        "kSpaceData": ranges_of(lambda c: chr(c).isspace()),
        "kAlnumData": ranges_of(lambda c: chr(c).isalnum()),
        "kDecimalData": ranges_of(lambda c: chr(c).isdecimal()),
    }
    ignorable, cased = sigma_probe_tables()
    tables["kCaseIgnorableData"] = ignorable
    tables["kCasedData"] = cased
    runs = lower_runs()

    version = f"Python {sys.version.split()[0]}, Unicode {unicodedata.unidata_version}"
    parts = [
        "// GENERATED by tools/reference/make_py_unicode_tables.py from " + version + ".",
        "// Do not edit: rerun the script. Python str character properties for metrics/py_unicode.cc.",
        "// clang-format off",
        '#include "metrics/py_unicode_tables.h"',
        "",
        "namespace hkv::jobs::py_unicode_tables {",
        "namespace {",
        "",
    ]
    for name, ranges in tables.items():
        parts.append(emit_ranges(name, ranges))
        parts.append("")
    parts.append(emit_lower(runs))
    parts.append("")
    parts.append("}  // namespace")
    parts.append("")
    parts.append(f'const char* const kSourceVersion = "{version}";')
    exported = {
        "kSpaceData": "kSpace",
        "kAlnumData": "kAlnum",
        "kDecimalData": "kDecimal",
        "kCaseIgnorableData": "kCaseIgnorable",
        "kCasedData": "kCased",
    }
    for data, public in exported.items():
        parts.append(f"const std::span<const CodePointRange> {public}({data});")
    parts.append("const std::span<const LowerRun> kLowerRuns(kLowerRunsData);")
    parts.append("")
    parts.append("}  // namespace hkv::jobs::py_unicode_tables")
    parts.append("")  # what clang-format leaves after the namespace
    parts.append("// clang-format on")
    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(parts) + "\n")
    counts = ", ".join(f"{k}={len(v)}" for k, v in tables.items())
    print(f"wrote {args.out}: {counts}, lower runs={len(runs)}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Regenerates the seed corpus of the schedule_decode fuzz target from the conformance vectors.

Writes one file per case of spec/vectors/schedule.json into fuzz/corpus/schedule_decode/,
named by the case id:

- decode and encode cases: the document bytes (`document`, or `document_hex` decoded);
- next, expression and at_expression cases: the rate string of `args.rate`;
- parse_expression cases: the expression of `args.expression`.

The fuzz target decodes every input as a document, and reads it as a rate string and as
an EventBridge expression too, so every seed reaches the parser it was written for.

Files that earlier runs wrote for cases that no longer exist are removed; files whose
names do not start with "schedule." (hand-written seeds, crash reproducers) are kept.

Usage: python3 fuzz/seed-schedule.py [--check]
  --check  write nothing; exit 1 if the corpus is out of date with the vectors
"""

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "spec" / "vectors" / "schedule.json"
CORPUS = ROOT / "fuzz" / "corpus" / "schedule_decode"
# Vector ids are like "schedule.name.space"; only files named so are ours to manage.
GENERATED_PREFIX = "schedule."


def content(case):
    """The bytes a case gives the parser it tests; None if it gives none."""
    inp = case["input"]
    if "document" in inp:
        return inp["document"].encode("utf-8")
    if "document_hex" in inp:
        return bytes.fromhex(inp["document_hex"])
    args = inp.get("args") or {}
    for key in ("expression", "rate"):
        if isinstance(args.get(key), str):
            return args[key].encode("utf-8")
    return None


def file_name(case_id):
    """A portable file name for a case id."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", case_id)
    if not name.startswith(GENERATED_PREFIX):
        name = GENERATED_PREFIX + name
    return name


def seeds(doc):
    out = {}
    for case in doc["cases"]:
        data = content(case)
        if data is None:
            continue
        name = file_name(case["id"])
        if name in out:
            sys.exit(f"duplicate case id {case['id']!r}")
        out[name] = data
    return out


def main():
    check = sys.argv[1:] == ["--check"]
    if sys.argv[1:] not in ([], ["--check"]):
        sys.exit(__doc__)
    with VECTORS.open(encoding="utf-8") as f:
        wanted = seeds(json.load(f))
    CORPUS.mkdir(parents=True, exist_ok=True)
    present = {p.name for p in CORPUS.iterdir() if p.name.startswith(GENERATED_PREFIX)}
    stale = sorted(present - wanted.keys())
    changed = sorted(n for n, c in wanted.items() if n not in present or (CORPUS / n).read_bytes() != c)
    if check:
        for name in stale:
            print(f"stale: {name}")
        for name in changed:
            print(f"missing or different: {name}")
        sys.exit(1 if stale or changed else 0)
    for name in stale:
        (CORPUS / name).unlink()
    for name in changed:
        (CORPUS / name).write_bytes(wanted[name])
    print(f"{len(wanted)} seeds from {VECTORS.relative_to(ROOT)}: {len(changed)} written, {len(stale)} removed")


if __name__ == "__main__":
    main()

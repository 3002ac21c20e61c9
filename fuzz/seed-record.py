#!/usr/bin/env python3
"""Regenerates the seed corpus of the record_decode fuzz target from the conformance vectors.

Writes one file per case of spec/vectors/record.json whose input the target reads, into
fuzz/corpus/record_decode/, named by the case id: the document bytes (text or hex) of
every decode and encode case, and the channel of every parse_channel case (the target
also reads its input as a channel).

Files that earlier runs wrote for cases that no longer exist are removed; files whose
names do not start with "record." (hand-written seeds, crash reproducers) are kept.

Usage: python3 fuzz/seed-record.py [--check]
  --check  write nothing; exit 1 if the corpus is out of date with the vectors
"""

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "spec" / "vectors" / "record.json"
CORPUS = ROOT / "fuzz" / "corpus" / "record_decode"
# Vector ids are like "record.name.glob-star"; only files named so are ours to manage.
GENERATED_PREFIX = "record."


def document(inp):
    """The document bytes of a case, given as text or as hex; None if absent."""
    if "document" in inp:
        return inp["document"].encode("utf-8")
    if "document_hex" in inp:
        return bytes.fromhex(inp["document_hex"])
    return None


def file_name(case_id):
    """A portable file name for a case id."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", case_id)
    if not name.startswith(GENERATED_PREFIX):
        name = GENERATED_PREFIX + name
    return name


def seeds(doc):
    """(file name, content) for every case with an input the target reads."""
    out = {}
    for case in doc["cases"]:
        inp = case["input"]
        if case.get("operation") in ("decode", "encode"):
            content = document(inp)
        elif case.get("operation") == "parse_channel":
            content = inp["args"]["channel"].encode("utf-8")
        else:
            continue
        if content is None:
            continue
        name = file_name(case["id"])
        if name in out:
            sys.exit(f"duplicate case id {case['id']!r}")
        out[name] = content
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

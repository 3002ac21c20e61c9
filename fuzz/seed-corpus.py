#!/usr/bin/env python3
"""Regenerates the seed corpus of the text_decode fuzz target from the conformance vectors.

Writes one file per decode case of spec/vectors/text.json into fuzz/corpus/text_decode/,
named by the case id: subject, a newline and payload for cases given as subject and
payload (text or hex), or the line itself for line cases. The fuzz target splits its
input at the first newline or 0x00 byte, so these files reach Message::decode as the
vectors give them, and Message::decode_line as a whole.

Files that earlier runs wrote for cases that no longer exist are removed; files whose
names do not start with "text." (hand-written seeds, crash reproducers) are kept.

Usage: python3 fuzz/seed-corpus.py [--check]
  --check  write nothing; exit 1 if the corpus is out of date with the vectors
"""

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VECTORS = ROOT / "spec" / "vectors" / "text.json"
CORPUS = ROOT / "fuzz" / "corpus" / "text_decode"
# Vector ids are like "text.subject.single-token"; only files named so are ours to manage.
GENERATED_PREFIX = "text."


def field(inp, name):
    """The bytes of input field `name`, given as text or as `name_hex`; None if absent."""
    if name in inp:
        return inp[name].encode("utf-8")
    if name + "_hex" in inp:
        return bytes.fromhex(inp[name + "_hex"])
    return None


def file_name(case_id):
    """A portable file name for a case id."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", case_id)
    if not name.startswith(GENERATED_PREFIX):
        name = GENERATED_PREFIX + name
    return name


def seeds(doc):
    """(file name, content) for every decode case with a text input."""
    out = {}
    for case in doc["cases"]:
        if case.get("operation") != "decode":
            continue
        inp = case["input"]
        subject, payload, line = field(inp, "subject"), field(inp, "payload"), field(inp, "line")
        if subject is not None and payload is not None:
            content = subject + b"\n" + payload
        elif line is not None:
            content = line
        else:
            continue  # another input form, such as JSON
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

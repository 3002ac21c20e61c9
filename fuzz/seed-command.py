#!/usr/bin/env python3
"""Writes the seed corpus of the `command_decode` fuzz target: one file per decode case
(and per encode or timeout case, whose input is a document too) of
spec/vectors/command.json, named by the case id, holding the document's bytes.

Run from the repository root: python3 fuzz/seed-command.py
"""

import json
import pathlib

root = pathlib.Path(__file__).resolve().parent.parent
suite = json.loads((root / "spec/vectors/command.json").read_text(encoding="utf-8"))
out = root / "fuzz/corpus/command_decode"
out.mkdir(parents=True, exist_ok=True)

written = 0
for case in suite["cases"]:
    source = case["input"]
    if "args" in source:
        source = source["args"] if isinstance(source["args"], dict) else {}
    if "document_hex" in source:
        data = bytes.fromhex(source["document_hex"])
    elif isinstance(source.get("document"), str):
        data = source["document"].encode("utf-8")
    else:
        continue
    (out / case["id"]).write_bytes(data)
    written += 1
print(f"wrote {written} files to {out.relative_to(root)}")

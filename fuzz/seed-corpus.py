#!/usr/bin/env python3
"""Regenerates the seed corpora of the fuzz targets from the conformance vectors.

One corpus per target, one file per vector case whose input the target reads, named by
the case id:

  text_decode      spec/vectors/text.json: the subject, a newline and the payload (text
                   or hex) of a decode case, or its line. The target splits its input at
                   the first newline or 0x00 byte, so these reach Message::decode as the
                   vectors give them, and Message::decode_line as a whole.
  record_decode    spec/vectors/record.json: the document of every case that has one, and
                   the channel of every parse_channel case (the target also reads its input
                   as a channel).
  command_decode   spec/vectors/command.json: the document of every case that has one,
                   in its input or in its args.
  schedule_decode  spec/vectors/schedule.json: the document of every case that has one,
                   and the rate or expression of every case with one in its args (the
                   target also reads its input as both).
  redact_url       no vectors: the URL_SEEDS below, credentials holding the characters
                   that end parts of a URL (`/ # ? @ : % ,`), percent-encoded and
                   non-ASCII, as user, password and host lines, and whole URLs.

Files that earlier runs wrote for cases that no longer exist are removed; files whose
names do not start with the suite's prefix ("text.", "record.", ...: hand-written seeds,
crash reproducers) are kept.

Usage: python3 fuzz/seed-corpus.py [--check]
  --check  write nothing; exit 1 if a corpus is out of date with its vectors
"""

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def field(inp, name):
    """The bytes of input field `name`, given as text or as `name_hex`; None if absent."""
    if isinstance(inp.get(name), str):
        return inp[name].encode("utf-8")
    if isinstance(inp.get(name + "_hex"), str):
        return bytes.fromhex(inp[name + "_hex"])
    return None


def text_seed(case):
    if case.get("operation") != "decode":
        return None
    inp = case["input"]
    subject, payload, line = field(inp, "subject"), field(inp, "payload"), field(inp, "line")
    if subject is not None and payload is not None:
        return subject + b"\n" + payload
    return line


def args(case):
    a = case["input"].get("args")
    return a if isinstance(a, dict) else {}


def record_seed(case):
    if case.get("operation") in ("decode", "encode"):
        return field(case["input"], "document")
    if case.get("operation") == "parse_channel":
        return field(args(case), "channel")
    return None


def command_seed(case):
    return field(case["input"], "document") or field(args(case), "document")


def schedule_seed(case):
    found = field(case["input"], "document")
    if found is not None:
        return found
    return field(args(case), "expression") or field(args(case), "rate")


# (vector file, corpus folder, case id prefix, the bytes a case gives its target)
SUITES = [
    ("text.json", "text_decode", "text.", text_seed),
    ("record.json", "record_decode", "record.", record_seed),
    ("command.json", "command_decode", "command.", command_seed),
    ("schedule.json", "schedule_decode", "schedule.", schedule_seed),
]

# The redact_url target reads a user, a password and a host, one a line, and also the
# whole input as a URL (fuzz/src/url.rs). Seed name (without the "url." prefix) -> text.
URL_SEEDS = {
    "plain": "guest\ns3cret\nh.example",
    "slash": "user\npa/ss\nhost",
    "hash": "\nab#cd\nhost",
    "question": "u\np?q\nh",
    "at": "u@x\np@ss@w\nh",
    "colon": "u:v\np:a:ss\nh",
    "percent": "u\np%40ss%2F%3F%23%\nh",
    "percent-utf8": "u\nt%C3%B6k%C2%A7\nh",
    "comma": "u\na,nats://b\nh1",
    "scheme-in-password": "u\na://b@c\nh",
    "query-in-password": "u\nx?password=y@z#w\nh",
    "stars": "u\n***@h\nh",
    "non-ascii": "üser\npässwörd§/#?\nhöst.example",
    "empty": "",
    "empty-password": "u\n\nh",
    "amqp-url": "amqp://user:pa/ss@host:5672/%2f",
    "redis-url": "redis://:ab#cd@host:6379/0?password=x@y#z",
    "nats-list": "nats://h1:4222,nats://u:p?q@h2:4222,nats://t@h3",
    "mqtt-url": "mqtt://h/a@b?x#y",
    "no-scheme": "user:pw@host?password=x",
}


def url_seeds():
    return {"url." + name: text.encode("utf-8") for name, text in URL_SEEDS.items()}


# (corpus folder, case id prefix, the seeds as {file name: content}) of every target
def wanted_seeds():
    for vectors, folder, prefix, seed in SUITES:
        path = ROOT / "spec" / "vectors" / vectors
        with path.open(encoding="utf-8") as f:
            yield folder, prefix, vectors, seeds(json.load(f), prefix, seed)
    yield "redact_url", "url.", "URL_SEEDS", url_seeds()


def file_name(case_id, prefix):
    """A portable file name for a case id."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", case_id)
    return name if name.startswith(prefix) else prefix + name


def seeds(doc, prefix, seed):
    """(file name, content) for every case with an input the target reads."""
    out = {}
    for case in doc["cases"]:
        content = seed(case)
        if content is None:
            continue
        name = file_name(case["id"], prefix)
        if name in out:
            sys.exit(f"duplicate case id {case['id']!r}")
        out[name] = content
    return out


def main():
    check = sys.argv[1:] == ["--check"]
    if sys.argv[1:] not in ([], ["--check"]):
        sys.exit(__doc__)
    out_of_date = False
    for folder, prefix, source, wanted in wanted_seeds():
        corpus = ROOT / "fuzz" / "corpus" / folder
        corpus.mkdir(parents=True, exist_ok=True)
        present = {p.name for p in corpus.iterdir() if p.name.startswith(prefix)}
        stale = sorted(present - wanted.keys())
        changed = sorted(
            n for n, c in wanted.items() if n not in present or (corpus / n).read_bytes() != c
        )
        if check:
            for name in stale:
                print(f"{folder}: stale: {name}")
            for name in changed:
                print(f"{folder}: missing or different: {name}")
            out_of_date |= bool(stale or changed)
            continue
        for name in stale:
            (corpus / name).unlink()
        for name in changed:
            (corpus / name).write_bytes(wanted[name])
        print(f"{folder}: {len(wanted)} seeds from {source}: {len(changed)} written, {len(stale)} removed")
    sys.exit(1 if out_of_date else 0)


if __name__ == "__main__":
    main()

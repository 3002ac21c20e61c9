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
  snapshot_restore no vectors: the SNAPSHOT_SEEDS below, liveness monitor snapshots (a
                   process of every kind as the engine writes them, the older format,
                   a failed ping, and numbers at the limits of their types), as compact
                   JSON.
  receiver_path    no vectors: the RECEIVER_SEEDS below, request lines of the HTTP
                   receiver (a method, a newline, a target): every endpoint of
                   spec/http.md 5.1, ping keys in the path, every query parameter of a
                   ping and of /status, and the refusals of 5.7.

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


U64_MAX = 2**64 - 1

# A snapshot with a process of every kind, as heartwire-liveness writes it (the monitor
# of `every_kind` in crates/heartwire-liveness/tests/restore.rs).
EVERY_KIND = json.loads("""
{
 "polled_at": 1700000015000000000,
 "processes": [
  {
   "source": "text",
   "name": "deadline",
   "state": "alive",
   "base": "alive",
   "last": 1700000010000000000,
   "aux": 5000000000
  },
  {
   "source": "text",
   "name": "exp",
   "state": "alive",
   "base": "alive",
   "last": 1700000010000000000,
   "aux": 5000000000,
   "detector": {
    "detector": "exponential",
    "config": {
     "threshold": 8.0,
     "suspect": 1.0,
     "window": 1000,
     "initial": 2000000000,
     "max_interval": null
    },
    "window": [
     2000000000,
     5000000000,
     5000000000
    ],
    "last": 1700000010000000000
   }
  },
  {
   "source": "text",
   "name": "phi",
   "state": "alive",
   "base": "alive",
   "last": 1700000010000000000,
   "aux": 5000000000,
   "detector": {
    "detector": "phi",
    "config": {
     "threshold": 8.0,
     "suspect": 1.0,
     "max_sample_size": 1000,
     "min_std_deviation": 100000000,
     "acceptable_heartbeat_pause": 3000000000,
     "first_heartbeat_estimate": 1000000000,
     "cdf": "logistic"
    },
    "history": [
     750000000,
     1250000000,
     5000000000,
     5000000000
    ],
    "last": 1700000010000000000
   }
  },
  {
   "source": "record",
   "name": "svc",
   "state": "alive",
   "base": "alive",
   "last": 1700000010000000000,
   "aux": 1700000010000000000
  },
  {
   "source": "command",
   "name": "plugin@1",
   "state": "alive",
   "base": "alive",
   "last": 1700000010000000000,
   "aux": 420000000000
  },
  {
   "source": "ping",
   "name": "cam",
   "state": "starting",
   "base": "starting",
   "last": 1700000010000000000,
   "aux": 0,
   "ping": {
    "rate": "Minutes(30)",
    "anchor": 900000000000,
    "grace": 60000000000,
    "missed": 3
   }
  },
  {
   "source": "ping",
   "name": "job",
   "state": "failed",
   "base": "starting",
   "last": 1700000011000000000,
   "aux": 0,
   "ping": {
    "rate": "Weekdays(3,0)",
    "grace": 60000000000,
    "missed": 3,
    "last_ping": "fail",
    "exit_status": 2,
    "rid": "019ab0e2-7c41-7d2e-8f1a-0b9c8d7e6f5a"
   }
  }
 ],
 "record_intervals": {
  "svc": 600000000000
 }
}
""")


def ping(state, rate, **members):
    """A ping process named "job" with a schedule and any other ping members."""
    saved = {"rate": rate, "grace": 60_000_000_000, "missed": 3}
    saved.update(members)
    return {"source": "ping", "name": "job", "state": state, "base": "alive",
            "last": 1_700_000_000_000_000_000, "aux": 0, "ping": saved}


def text(name, last, aux, **members):
    process = {"source": "text", "name": name, "state": "alive", "base": "alive",
               "last": last, "aux": aux}
    process.update(members)
    return process


# The snapshot_restore target reads its input as a JSON snapshot (fuzz/src/snapshot.rs).
# Seed name (without the "snapshot." prefix) -> the snapshot.
SNAPSHOT_SEEDS = {
    "empty": {"processes": []},
    "every-kind": EVERY_KIND,
    # Issue 15: this hung start-up at full CPU; it is now refused.
    "missed-of-issue-15": {"polled_at": 1_700_000_000_000_000_000,
                           "processes": [ping("alive", "Minutes(5)", missed=4294967295)]},
    "missed-most": {"processes": [ping("late", "Weekdays(17,0)", missed=1000)]},
    "failed-ping": {"processes": [ping("failed", "Daily(3,0)", anchor=900_000_000_000,
                                       last_ping="fail", exit_status=3,
                                       rid="019ab0e2-7c41-7d2e-8f1a-0b9c8d7e6f5a")]},
    "older-format": {"processes": [ping("alive", "Minutes(5)")]},
    "duplicate": {"processes": [text("a", 0, 5_000_000_000)] * 2},
    "extremes": {
        "polled_at": U64_MAX,
        "processes": [
            text("deadline", U64_MAX, U64_MAX),
            text("phi", U64_MAX, 0, detector={
                "detector": "phi",
                "config": {"threshold": 1e308, "suspect": -1e308, "max_sample_size": U64_MAX,
                           "min_std_deviation": 0, "acceptable_heartbeat_pause": U64_MAX,
                           "first_heartbeat_estimate": U64_MAX, "cdf": "exact"},
                "history": [U64_MAX, U64_MAX, 0], "last": U64_MAX}),
            text("exp", 0, 1, detector={
                "detector": "exponential",
                "config": {"threshold": 0.0, "suspect": 1e308, "window": 0, "initial": 0,
                           "max_interval": 0},
                "window": [0, 0], "last": 0}),
            {"source": "record", "name": "svc", "state": "late", "base": "alive",
             "last": U64_MAX, "aux": U64_MAX},
            {"source": "command", "name": "plugin@1", "state": "starting",
             "base": "starting", "last": U64_MAX, "aux": U64_MAX},
            ping("starting", "Single(9999,12,31,23,59)", anchor=U64_MAX, grace=U64_MAX,
                 missed=1000),
        ],
        "record_intervals": {"svc": 0, "other": U64_MAX},
    },
}


def snapshot_seeds():
    return {
        "snapshot." + name: json.dumps(doc, separators=(",", ":")).encode("utf-8")
        for name, doc in SNAPSHOT_SEEDS.items()
    }


# The receiver_path target reads a method, a newline and a request target
# (fuzz/src/receiver.rs), parsed with and without a ping key in the path. Seed name
# (without the "path." prefix) -> the request line.
KEY = "k3y-0f_22-characters"
RECEIVER_SEEDS = {
    "ping": "GET\n/ping/backup",
    "ping-head": "HEAD\n/ping/backup",
    "ping-post-exit": "POST\n/ping/backup/3?rid=019ab0e2-7c41-7d2e-8f1a-0b9c8d7e6f5a",
    "ping-start-rid": "GET\n/ping/backup.nightly/start?rid=r-1",
    "ping-log": "GET\n/ping/backup/log",
    "ping-fail": "GET\n/ping/backup/fail",
    "ping-exit-0": "GET\n/ping/backup/0",
    "ping-exit-255": "GET\n/ping/backup/255",
    "ping-exit-256": "GET\n/ping/backup/256",
    "ping-exit-1000": "GET\n/ping/backup/1000",
    "ping-unknown-kind": "GET\n/ping/backup/explode",
    "ping-period": "GET\n/ping/camera?period=Minutes(30)&offset=15",
    "ping-cron-tz-grace": "GET\n/ping/report?period=0+9+*+*+1-5&tz=Europe/Paris&grace=10m",
    "ping-cron-encoded": "GET\n/ping/report?period=*/5%20*%20*%20*%20*&grace=60",
    "ping-cron-bad-zone": "GET\n/ping/report?period=0+9+*+*+*&tz=Europe/Nowhere&grace=169h",
    "ping-tz-without-cron": "GET\n/ping/report?tz=Europe/Paris",
    "ping-period-encoded": "GET\n/ping/job?period=Daily(3%2C0)",
    "ping-period-invalid": "GET\n/ping/a?period=Fortnightly(2)",
    "ping-offset-negative": "GET\n/ping/a?period=Minutes(30)&offset=-15",
    "ping-offset-too-large": "GET\n/ping/a?offset=10080",
    "ping-rid-64": "GET\n/ping/a?rid=" + "x" * 64,
    "ping-rid-65": "GET\n/ping/a?rid=" + "x" * 65,
    "ping-rid-escaped": "GET\n/ping/a?rid=%41%42%20c",
    "ping-rid-newline": "GET\n/ping/a?rid=a%0Ab",
    "ping-bad-escape": "GET\n/ping/a?period=%zz",
    "ping-cut-escape": "GET\n/ping/a?rid=%E2%82",
    "ping-other-services": "GET\n/ping/a?s=1&m=disk%20full&state=fail&series=x",
    "ping-empty-name": "GET\n/ping/",
    "ping-escaped-name": "GET\n/ping/orders.%3E",
    "ping-long-name": "GET\n/ping/" + "a" * 300,
    "ping-keyed": "GET\n/ping/" + KEY + "/backup/start?rid=r-2",
    "ping-keyed-no-name": "GET\n/ping/" + KEY,
    "ping-keyed-empty-key": "GET\n/ping//backup",
    "forget": "DELETE\n/ping/backup",
    "forget-keyed": "DELETE\n/ping/" + KEY + "/backup",
    "forget-kind": "DELETE\n/ping/backup/start",
    "ping-put": "PUT\n/ping/backup",
    "beat": "POST\n/beat",
    "beat-subject": "POST\n/beat/heartbeat.billing.worker-1",
    "beat-bad-subject": "POST\n/beat/heartbeat.orders.>",
    "beat-get": "GET\n/beat",
    "status": "GET\n/status",
    "status-head": "HEAD\n/status",
    "status-all": "GET\n/status?state=dead&source=ping&limit=10&after=ping%3Abackup",
    "status-after-text": "GET\n/status?after=text:billing.worker-1&limit=5000",
    "status-failed": "GET\n/status?state=failed",
    "status-unknown": "GET\n/status?page=2",
    "status-repeated": "GET\n/status?limit=1&limit=2",
    "status-limit-0": "GET\n/status?limit=0",
    "status-limit-big": "GET\n/status?limit=99999999999999999999",
    "status-bad-after": "GET\n/status?after=nowhere:x",
    "status-post": "POST\n/status",
    "nowhere": "GET\n/nowhere",
    "no-method": "/ping/a",
    "long-target": "GET\n/ping/a?m=" + "x" * 3000,
    "non-ascii": "GET\n/ping/\u00fc?rid=\u00e9",
    "empty": "",
}


def receiver_seeds():
    return {"path." + name: text.encode("utf-8") for name, text in RECEIVER_SEEDS.items()}


# (corpus folder, case id prefix, the seeds as {file name: content}) of every target
def wanted_seeds():
    for vectors, folder, prefix, seed in SUITES:
        path = ROOT / "spec" / "vectors" / vectors
        with path.open(encoding="utf-8") as f:
            yield folder, prefix, vectors, seeds(json.load(f), prefix, seed)
    yield "redact_url", "url.", "URL_SEEDS", url_seeds()
    yield "snapshot_restore", "snapshot.", "SNAPSHOT_SEEDS", snapshot_seeds()
    yield "receiver_path", "path.", "RECEIVER_SEEDS", receiver_seeds()


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

"""Drives the real beatit Heart through one scenario and reports what it published.

Reads a scenario as JSON on stdin:

    {"process": "my.process.identifier", "mode": "sync" | "async",
     "subject_as_string": false,
     "calls": [{"at": 1000.25, "call": "start" | "beat" | "degraded" | "stop",
                "value": {"int": 5} | {"float": "0.5"}}]}

`value` (absent for stop) keeps Python's int/float distinction: `{"int": 5}` passes the
int 5, `{"float": "5.0"}` passes float("5.0"), so beatit formats exactly what a Python
caller's value would give; `{"bool": true}` passes True (an int to Python, written
`True`). `at` is what time.time() returns during the call: beatit's
reference to the `time` module is replaced by a fake clock whose sleep() returns at once.

Writes one JSON line per call, in order:

    {"index": 0, "published": true, "subject_type": "bytes", "subject_hex": "...",
     "payload_type": "bytes", "payload_hex": "...", "sleeps": [0.1]}

with null subject and payload fields when nothing was published. `sleeps` lists the
arguments of the time.sleep() calls beatit made during the call.
"""

import asyncio
import json
import sys

import beatit

WANTED_VERSION = "2022.3.1"


class FakeTime:
    """Stands in for the `time` module inside beatit."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def time(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)


class SyncRecorder:
    """A blocking publisher, as beatit's README writes one."""

    def __init__(self):
        self.sent = []

    def publish(self, *, subject, payload):
        self.sent.append((subject, payload))


class AsyncRecorder:
    """An async publisher; it yields to the event loop once, as a real client would."""

    def __init__(self):
        self.sent = []

    async def publish(self, *, subject, payload):
        await asyncio.sleep(0)
        self.sent.append((subject, payload))


def python_value(value):
    """The int, float or bool a Python caller would pass."""
    if isinstance(value, dict) and len(value) == 1:
        (kind, raw), = value.items()
        if kind == "int" and type(raw) is int:
            return raw
        if kind == "float" and isinstance(raw, str):
            return float(raw)
        if kind == "bool" and type(raw) is bool:
            return raw
    raise ValueError(f"value must be {{'int': n}}, {{'float': 'repr'}} or {{'bool': b}}, got {value!r}")


def invoke(heart, call):
    """The beatit method call for one scenario call (a coroutine for _Async)."""
    name = call["call"]
    if name == "start":
        return heart.start(warmup=python_value(call["value"]))
    if name == "beat":
        return heart.beat(period=python_value(call["value"]))
    if name == "degraded":
        return heart.degraded(period=python_value(call["value"]))
    if name == "stop":
        if "value" in call:
            raise ValueError("stop takes no value")
        return heart.stop()
    raise ValueError(f"unknown call {name!r}")


def type_name(value):
    if isinstance(value, bytes):
        return "bytes"
    if isinstance(value, str):
        return "str"
    raise TypeError(f"beatit published a {type(value).__name__}: {value!r}")


def hex_of(value):
    return (value if isinstance(value, bytes) else value.encode("utf-8")).hex()


def report(index, sent, sleeps):
    if len(sent) > 1:
        raise AssertionError(f"call {index} published {len(sent)} messages")
    line = {"index": index, "published": bool(sent), "sleeps": sleeps}
    if sent:
        (subject, payload), = sent
        line.update(
            subject_type=type_name(subject),
            subject_hex=hex_of(subject),
            payload_type=type_name(payload),
            payload_hex=hex_of(payload),
        )
    else:
        line.update(subject_type=None, subject_hex=None, payload_type=None, payload_hex=None)
    print(json.dumps(line), flush=True)


async def run_async(heart, publisher, clock, calls):
    for index, call in enumerate(calls):
        clock.now = float(call["at"])
        clock.sleeps = []
        before = len(publisher.sent)
        await invoke(heart, call)
        report(index, publisher.sent[before:], clock.sleeps)


def run_sync(heart, publisher, clock, calls):
    for index, call in enumerate(calls):
        clock.now = float(call["at"])
        clock.sleeps = []
        before = len(publisher.sent)
        result = invoke(heart, call)
        if result is not None:
            raise AssertionError(f"sync beatit returned {result!r}")
        report(index, publisher.sent[before:], clock.sleeps)


def main():
    if beatit.__version__ != WANTED_VERSION:
        sys.exit(f"beatit_driver.py: expected beatit {WANTED_VERSION}, found {beatit.__version__}")
    scenario = json.load(sys.stdin)
    clock = FakeTime()
    beatit.time = clock
    mode = scenario["mode"]
    if mode == "sync":
        publisher, expected_class = SyncRecorder(), "_Sync"
    elif mode == "async":
        publisher, expected_class = AsyncRecorder(), "_Async"
    else:
        raise ValueError(f"unknown mode {mode!r}")
    subject_as_string = scenario["subject_as_string"]
    if type(subject_as_string) is not bool:
        raise ValueError(f"subject_as_string must be true or false, got {subject_as_string!r}")
    heart = beatit.Heart(scenario["process"], publisher=publisher, subject_as_string=subject_as_string)
    if type(heart).__name__ != expected_class:
        raise AssertionError(f"beatit chose {type(heart).__name__} for a {mode} publisher")
    if mode == "sync":
        run_sync(heart, publisher, clock, scenario["calls"])
    else:
        asyncio.run(run_async(heart, publisher, clock, scenario["calls"]))


if __name__ == "__main__":
    main()

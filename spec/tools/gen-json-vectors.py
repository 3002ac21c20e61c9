#!/usr/bin/env python3
"""Writes spec/vectors/json.json, the vectors of spec/json.md.

The expected instants of the timestamp cases are computed here with Python's datetime,
independently of heartwire, and the script checks that each valid text is one Python's
own RFC 3339 reading agrees with. Run: python3 spec/tools/gen-json-vectors.py
"""

import datetime as dt
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
OUT = ROOT / "spec" / "vectors" / "json.json"

cases = []


def utc_text(text):
    """The §9 normal form of a valid timestamp, computed with Python's datetime."""
    date, rest = text[:10], text[11:]
    year = int(date[:4])
    # datetime cannot hold year 0; shift by 400 years (same calendar) and back.
    shift = 400 if year == 0 else 0
    clock, frac, off = rest[:8], "", ""
    tail = rest[8:]
    if tail.startswith("."):
        n = len(tail) - len(tail[1:].lstrip("0123456789"))
        frac, tail = tail[1:n], tail[n:]
    off = tail
    nanos = int((frac + "000000000")[:9]) if frac else 0
    base = dt.datetime(year + shift, int(date[5:7]), int(date[8:10]),
                       int(clock[:2]), int(clock[3:5]), int(clock[6:8]))
    if off not in ("Z", "z"):
        sign = -1 if off[0] == "-" else 1
        base -= sign * dt.timedelta(hours=int(off[1:3]), minutes=int(off[4:6]))
    s = f"{base.year - shift:04d}-{base.month:02d}-{base.day:02d}T{base.hour:02d}:{base.minute:02d}:{base.second:02d}"
    if nanos:
        s += "." + f"{nanos:09d}".rstrip("0")
    return s + "Z"


def ts_ok(name, text, description):
    """A valid timestamp; where Python's own reader can take it, the instants must agree."""
    expected = utc_text(text)
    try:
        py = dt.datetime.fromisoformat(text.upper())
    except ValueError:
        py = None  # year 0000, or more fraction digits than Python holds
    if py is not None:
        py_utc = py.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        assert expected.startswith(py_utc), (text, expected, py_utc)
    cases.append({
        "id": f"json.timestamp.{name}",
        "description": description,
        "section": "4.1",
        "operation": "timestamp",
        "input": {"args": {"text": text}},
        "expect": {"result": {"utc": utc_text(text)}},
    })


def ts_bad(name, text, offset, description, section="4.2"):
    cases.append({
        "id": f"json.timestamp.{name}",
        "description": description,
        "section": section,
        "operation": "timestamp",
        "input": {"args": {"text": text}},
        "expect": {"error": "json.timestamp", "offset": offset},
    })


ts_ok("python-isoformat", "2025-01-16T08:30:00.123456+00:00", "Python's isoformat() of an aware UTC datetime (the liveness record seed)")
ts_ok("javascript-iso", "2024-01-26T10:30:00.000Z", "JavaScript's toISOString() (the Reventless envelope seed)")
ts_ok("lower-case-t-z", "2024-01-26t10:30:00z", "RFC 3339 allows lower-case t and z")
ts_ok("no-fraction", "2025-01-16T08:30:00Z", "the fraction is optional")
ts_ok("one-digit-fraction", "2025-01-16T08:30:00.5Z", "one fraction digit is half a second")
ts_ok("nine-digit-fraction", "2025-01-16T08:30:00.123456789Z", "nine fraction digits: nanoseconds, all kept")
ts_ok("positive-offset", "2025-01-16T14:00:00.25+05:30", "an offset east of UTC is subtracted")
ts_ok("negative-offset-previous-day", "2025-01-01T02:00:00-05:00", "a negative offset adds, and can cross midnight")
ts_ok("offset-crosses-year-back", "2025-01-01T00:30:00+01:00", "an offset can move the instant into the previous year")
ts_ok("offset-crosses-year-forward", "2024-12-31T23:30:00-01:00", "and into the next year")
ts_ok("unknown-local-offset", "2025-01-16T08:30:00-00:00", "-00:00 (unknown local offset) names the UTC instant")
ts_ok("largest-offset", "2025-01-16T23:59:00+23:59", "the largest offset RFC 3339 allows")
ts_ok("leap-day", "2024-02-29T12:00:00Z", "29 February of a leap year")
ts_ok("century-leap-day", "2000-02-29T00:00:00Z", "2000 is a leap year (divisible by 400)")
ts_ok("year-zero", "0000-01-01T00:00:00Z", "the smallest year of four digits")
ts_ok("year-9999", "9999-12-31T23:59:59.999999999Z", "the largest instant the grammar can write")
ts_ok("trailing-zero-fraction", "2025-01-16T08:30:00.100000Z", "trailing zeros of the fraction do not change the instant")
ts_ok("before-epoch", "1969-12-31T23:59:59.5Z", "instants before 1970 are fine")

ts_bad("space-separator", "2025-01-16 08:30:00.123456+00:00", 10, "Python's str(datetime) writes a space: rejected at the space")
ts_bad("no-offset", "2025-01-16T08:30:00.123456", 26, "a naive datetime has no offset: its instant is unknown")
ts_bad("ten-fraction-digits", "2025-01-16T08:30:00.1234567891Z", 29, "more than nine fraction digits: rejected at the tenth")
ts_bad("empty-fraction", "2025-01-16T08:30:00.Z", 20, "a dot must be followed by a digit")
ts_bad("comma-fraction", "2025-01-16T08:30:00,5Z", 19, "ISO 8601's comma fraction is not RFC 3339")
ts_bad("leap-second", "2016-12-31T23:59:60Z", 17, "leap seconds cannot be represented by the publishers' clocks")
ts_bad("not-leap-year", "2025-02-29T00:00:00Z", 8, "29 February of a common year does not exist")
ts_bad("century-not-leap", "1900-02-29T00:00:00Z", 8, "1900 is not a leap year (divisible by 100, not by 400)")
ts_bad("april-31", "2024-04-31T00:00:00Z", 8, "April has 30 days")
ts_bad("day-zero", "2024-04-00T00:00:00Z", 8, "days count from 01")
ts_bad("month-13", "2024-13-01T00:00:00Z", 5, "months are 01 to 12")
ts_bad("month-zero", "2024-00-01T00:00:00Z", 5, "months count from 01")
ts_bad("hour-24", "2024-01-01T24:00:00Z", 11, "hours are 00 to 23; 24:00 is ISO 8601 only")
ts_bad("minute-60", "2024-01-01T23:60:00Z", 14, "minutes are 00 to 59")
ts_bad("offset-without-colon", "2025-01-16T08:30:00+0100", 22, "+0100 is ISO 8601's basic form, not RFC 3339")
ts_bad("offset-hour-only", "2025-01-16T08:30:00+01", 22, "an offset needs its minutes")
ts_bad("offset-hour-24", "2025-01-16T08:30:00+24:00", 20, "offset hours are 00 to 23")
ts_bad("trailing-space", "2025-01-16T08:30:00Z ", 20, "nothing may follow the offset")
ts_bad("zone-name-suffix", "2025-01-16T08:30:00Z[UTC]", 20, "RFC 9557 zone annotations are not part of RFC 3339")
ts_bad("empty", "", 0, "the empty string is not a timestamp")
ts_bad("two-digit-year", "25-01-16T08:30:00Z", 0, "the year has four digits")
ts_bad("date-only", "2025-01-16", 10, "a date alone has no time")
ts_bad("wide-digit", "２025-01-16T08:30:00Z", 0, "only ASCII digits are digits", section="4.1")
ts_bad("single-digit-hour", "2025-01-16T8:30:00Z", 11, "every field has two digits", section="4.1")


def doc_bad(name, section, description, error, offset, path="", document=None, document_hex=None):
    inp = {"document": document} if document is not None else {"document_hex": document_hex}
    cases.append({
        "id": f"json.{name}",
        "description": description,
        "section": section,
        "operation": "decode",
        "input": inp,
        "expect": {"error": error, "offset": offset, "path": path},
    })


seed = ('{"service_name":"tracker_fetcher","instance_id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890",'
        '"timestamp":"2025-01-16T08:30:00.123456+00:00","uptime_seconds":3600.5,"heartbeat_count":60,'
        '"memory_usage_mb":156.3,"cpu_usage_percent":12.5')

doc_bad("document.not-utf8", "2.1", "a Latin-1 byte inside a string is not UTF-8",
        "json.utf8", 17, document_hex=('{"service_name":"caf\xe9"}').encode("latin-1").hex())
doc_bad("document.bom", "2.1", "a UTF-8 byte-order mark is not JSON", "json.syntax", 0,
        document_hex=(b"\xef\xbb\xbf" + seed.encode() + b"}").hex())
doc_bad("document.trailing-value", "2.1", "a second value after the document", "json.syntax",
        len(seed) + 2, document=seed + "} {}")
doc_bad("document.trailing-comma", "2.1", "JSON has no trailing commas", "json.syntax",
        len(seed) + 1, document=seed + ",}")
doc_bad("document.single-quotes", "2.1", "strings are in double quotes", "json.syntax", 1,
        document="{'service_name':'x'}")
doc_bad("document.nan", "2.1", "NaN is not a JSON number (Python's json.dumps writes it)",
        "json.syntax", len(seed.rsplit(":", 1)[0]) + 1,
        document=seed.rsplit(":", 1)[0] + ":NaN}")
doc_bad("document.truncated", "2.1", "a document cut short ends in a syntax error at its end",
        "json.syntax", len(seed), document=seed)
doc_bad("document.empty", "2.1", "an empty document", "json.syntax", 0, document="")
doc_bad("document.not-object", "8", "every format's document is an object", "json.type", 0,
        document='["service_name"]')
doc_bad("document.unknown-format", "8", "an object with none of the detecting keys",
        "json.missing", 0, document='{"service":"x","time":"2025-01-16T08:30:00Z"}')
big = seed + ',"padding":"' + "x" * (65536 - len(seed) - 13) + '"}'
assert len(big) == 65537, len(big)
doc_bad("document.over-size", "2.2", "one byte over 64 KiB is rejected before parsing",
        "json.size", 65536, document=big)
deep = seed + ',"nested":' + "[" * 32 + "]" * 32 + "}"
doc_bad("document.too-deep", "2.3", "an extra member nesting to depth 34 (the document is depth 1)",
        "json.depth", len(seed) + 10 + 31, path="nested" + "[0]" * 31, document=deep)
doc_bad("document.duplicate-top-level", "2.4", "service_name twice: readers would disagree on which wins",
        "json.duplicate", len(seed) + 1, path="service_name", document=seed + ',"service_name":"other"}')
doc_bad("document.duplicate-after-unescaping", "2.4", "keys are compared after unescaping",
        "json.duplicate", len(seed) + 14, path="queue_size",
        document=seed + ',"queue_size":1,"queue\\u005fsize":2}')
doc_bad("document.duplicate-nested", "2.4", "duplicates are rejected at every depth",
        "json.duplicate", len(seed) + 16, path="extra.a",
        document=seed + ',"extra":{"a":1,"a":2}}')

suite = {
    "suite": "heartwire-json",
    "version": "1.0.0",
    "spec": "spec/json.md",
    "spec_version": "1.0.0",
    "format": "json",
    "cases": cases,
}
OUT.write_text(json.dumps(suite, indent=2, ensure_ascii=False) + "\n")
print(f"wrote {len(cases)} cases to {OUT.relative_to(ROOT)}")

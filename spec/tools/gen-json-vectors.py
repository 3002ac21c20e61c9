#!/usr/bin/env python3
"""Writes spec/vectors/json.json, the vectors of spec/json.md.

Everything expected is computed here, independently of heartwire:

- the instants of the timestamp cases (§4, §9) with Python's datetime, and each valid
  text is checked against Python's own RFC 3339 reading where it has one;
- the canonical text of the valid documents (§7) by a small canonicaliser below, which
  walks the JSON tokens keeping the text of numbers and of extra members, and writes the
  members in the order of the format's chapter (spec/record.md §7, spec/command.md §6.2,
  spec/schedule.md §6); it also checks the document rules of §2 (size, depth, duplicate
  keys) and §5 (number range) on every valid document;
- the byte offsets of the rejections, by searching the document (str.find, in bytes).

Run: python3 spec/tools/gen-json-vectors.py
"""

import datetime as dt
import json
import math
import re
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


def ts_ok(name, text, description, section="4.1"):
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
        "section": section,
        "operation": "timestamp",
        "input": {"args": {"text": text}},
        "expect": {"result": {"utc": expected}},
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
ts_ok("unknown-local-offset", "2025-01-16T08:30:00-00:00", "-00:00 (unknown local offset) is accepted and names the UTC instant", section="4.2")
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
ts_bad("two-digit-year", "25-01-16T08:30:00Z", 2, "the year has four digits: rejected at the first byte that is not one")
ts_bad("date-only", "2025-01-16", 10, "a date alone has no time")
ts_bad("wide-digit", "２025-01-16T08:30:00Z", 0, "only ASCII digits are digits", section="4.1")
ts_bad("single-digit-hour", "2025-01-16T8:30:00Z", 12, "every field has two digits: rejected at the first byte that is not one", section="4.1")
ts_bad("single-digit-month", "2025-1-16T08:30:00Z", 6, "a month of one digit: rejected at the '-' where its second digit is due", section="4.1")
ts_bad("single-digit-day", "2025-01-6T08:30:00Z", 9, "a day of one digit: rejected at the 'T' where its second digit is due", section="4.1")
ts_bad("single-digit-minute", "2025-01-16T08:3:00Z", 15, "a minute of one digit: rejected at the ':' where its second digit is due", section="4.1")
ts_bad("three-digit-year", "202-01-16T08:30:00Z", 3, "a year of three digits: rejected at the '-' where its fourth digit is due", section="4.1")
ts_bad("letter-in-second", "2025-01-16T08:30:0xZ", 18, "a letter inside a field: rejected at the letter", section="4.1")
ts_bad("offset-minute-short", "2025-01-16T08:30:00+01:0", 24, "an offset minute of one digit: rejected at the end, where its second digit is due")
ts_bad("cut-in-year", "202", 3, "a text that stops short: rejected at its end")
ts_bad("not-leap-year-2025-april-31", "2025-04-31T00:00:00Z", 8, "April has 30 days in every year: rejected at the day's first digit")
ts_bad("not-leap-year-with-offset", "2025-02-29T23:30:00-01:00", 8, "an offset does not make a date exist: 29 February 2025 is rejected although the instant would be 1 March")
ts_bad("century-not-leap-fraction", "1900-02-29T12:00:00.5Z", 8, "1900-02-29 does not exist, with a fraction as with none")
ts_bad("day-32", "2025-01-32T00:00:00Z", 8, "no month has 32 days: rejected at the day's first digit")
ts_bad("minute-60-offset", "2025-01-16T08:30:00+01:60", 23, "offset minutes are 00 to 59: rejected at the offset minute's first digit")
ts_ok("leap-day-2000-with-offset", "2000-02-29T23:30:00-01:00", "29 February 2000 exists; with its offset the instant is 1 March", section="4.2")
ts_ok("leap-day-2024-javascript", "2024-02-29T10:30:00.000Z", "29 February 2024 in JavaScript's form", section="4.2")



# ---------------------------------------------------------------------------------------
# Documents: a JSON reader that keeps the text of every value, and the canonical writers
# of the three formats. Independent of heartwire (and of Python's json, except to unescape
# one string token).

MAX_LEN = 65536
MAX_DEPTH = 32
WS = " \t\n\r"
NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


class Node:
    """A JSON value: its kind, its text span in the document, and its content."""

    def __init__(self, kind, start, end, value):
        self.kind, self.start, self.end, self.value = kind, start, end, value


def skip_ws(text, i):
    while i < len(text) and text[i] in WS:
        i += 1
    return i


def parse_value(text, i, depth):
    """The value at text[i] (no white space before it) and the index after it. `depth` is
    the depth an array or object here would have (the document's own object is 1). Checks
    §2.3, §2.4 and §5 as it goes: a valid case must be valid by this chapter, not only by
    the implementation."""
    c = text[i]
    if c in "{[":
        assert depth <= MAX_DEPTH, f"too deep at {i}"
        close = "}" if c == "{" else "]"
        items, keys = [], set()
        j = skip_ws(text, i + 1)
        if text[j] == close:
            return Node("object" if c == "{" else "array", i, j + 1, items), j + 1
        while True:
            if c == "{":
                key, j = parse_value(text, j, depth + 1)
                assert key.kind == "string", f"key expected at {j}"
                assert key.value not in keys, f"duplicate key {key.value!r}"
                keys.add(key.value)
                j = skip_ws(text, j)
                assert text[j] == ":", f"':' expected at {j}"
                j = skip_ws(text, j + 1)
            value, j = parse_value(text, j, depth + 1)
            items.append((key.value, value) if c == "{" else value)
            j = skip_ws(text, j)
            if text[j] == close:
                return Node("object" if c == "{" else "array", i, j + 1, items), j + 1
            assert text[j] == ",", f"',' expected at {j}"
            j = skip_ws(text, j + 1)
    if c == '"':
        j = i + 1
        while text[j] != '"':
            assert ord(text[j]) >= 0x20, f"control character at {j}"
            j += 2 if text[j] == "\\" else 1
        return Node("string", i, j + 1, json.loads(text[i:j + 1])), j + 1
    for literal in ("true", "false", "null"):
        if text.startswith(literal, i):
            return Node(literal, i, i + len(literal), None), i + len(literal)
    m = NUMBER.match(text, i)
    assert m, f"a value expected at {i}"
    assert math.isfinite(float(m.group())), f"{m.group()} is beyond the range of a double"
    return Node("number", i, m.end(), m.group()), m.end()


def parse_document(text):
    assert len(text.encode()) <= MAX_LEN, "over the size limit"
    i = skip_ws(text, 0)
    node, i = parse_value(text, i, 1)
    assert skip_ws(text, i) == len(text), f"something after the value at {i}"
    return node


def jstr(s):
    """A string as spec/json.md §7 writes it: `"` and `\\` escaped, control characters as
    \\n \\r \\t \\b \\f or \\u00xx (lower case), everything else as its UTF-8."""
    short = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
    out = []
    for ch in s:
        if ch in short:
            out.append(short[ch])
        elif ord(ch) < 0x20:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def raw(text, node):
    """A value byte for byte as given (extra members, free-form values, §6)."""
    return text[node.start:node.end]


def scalar(node):
    """A member a format defines: a string by its value, a number by its text (§5)."""
    if node.kind == "string":
        return jstr(node.value)
    assert node.kind == "number", node.kind
    return node.value


def write_object(members):
    return "{" + ",".join(jstr(k) + ":" + v for k, v in members) + "}"


RECORD_FIELDS = ["service_name", "instance_id", "timestamp", "uptime_seconds", "heartbeat_count",
                 "memory_usage_mb", "cpu_usage_percent"]


TIMESTAMP = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]{1,9})?"
                       r"(?:[Zz]|[+-]([0-9]{2}):([0-9]{2}))")


def check_timestamp(text):
    """§4: the grammar, and a date that exists (datetime refuses 2025-02-29, 1900-02-29
    and April 31, computed apart from the vectors' expectations)."""
    m = TIMESTAMP.fullmatch(text)
    assert m, f"{text!r} is not a timestamp"
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    dt.date(year + (400 if year == 0 else 0), month, day)
    assert hour <= 23 and minute <= 59 and second <= 59, text
    if m.group(7) is not None:
        assert int(m.group(7)) <= 23 and int(m.group(8)) <= 59, text


def canon_record(text, root):
    """spec/record.md §7."""
    members = dict(root.value)
    for key in RECORD_FIELDS[:3]:
        assert members[key].kind == "string", key
    check_timestamp(members["timestamp"].value)
    out = [(k, scalar(members[k])) for k in RECORD_FIELDS if k in members and members[k].kind != "null"]
    out += [(k, raw(text, v)) for k, v in root.value if k not in RECORD_FIELDS]
    return write_object(out)


META_FIELDS = ["service", "time", "ip", "user", "msgId", "correlationId", "causationId", "traceparent",
               "schemaVersion", "headers"]
COMMAND_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def command_parts(text, node):
    """A command's name and its arguments' texts, from any of its three encodings
    (spec/command.md §4.2 to §4.4)."""
    if node.kind == "string":
        s = node.value
        name = COMMAND_NAME.match(s).group()
        if name == s:
            return name, []
        assert s[len(name)] == "(" and s.endswith(")"), s
        inner, args, i = s[len(name) + 1:-1], [], 0
        while True:
            i = skip_ws(inner, i)
            arg, i = parse_value(inner, i, 3)
            args.append(raw(inner, arg))
            i = skip_ws(inner, i)
            if i == len(inner):
                return name, args
            assert inner[i] == ",", s
            i += 1
    if node.kind == "array":
        return node.value[0].value, [raw(text, v) for v in node.value[1:]]
    members = dict(node.value)
    args = [raw(text, members[f"_{i}"]) for i in range(len(members) - 1)]
    return members["TAG"].value, args


def canon_command(text, root):
    """spec/command.md §6.2: the sury dialect, members in the chapter's order."""
    members = dict(root.value)
    meta = members["meta"]
    meta_members = dict(meta.value)
    check_timestamp(meta_members["time"].value)
    meta_out = []
    for key in META_FIELDS:
        if key not in meta_members:
            continue
        node = meta_members[key]
        if key == "headers":
            meta_out.append((key, write_object([(k, raw(text, v)) for k, v in node.value])))
        else:
            meta_out.append((key, scalar(node)))
    meta_out += [(k, raw(text, v)) for k, v in meta.value if k not in META_FIELDS]
    [command_key] = [k for k in ("command", "commandJson") if k in members]
    name, args = command_parts(text, members[command_key])
    command = jstr(name) if not args else write_object([("TAG", jstr(name))] + [(f"_{i}", a) for i, a in enumerate(args)])
    out = [("id", scalar(members["id"])), ("meta", write_object(meta_out)), ("command", command)]
    out += [(k, raw(text, v)) for k, v in root.value if k not in ("id", "meta", "command", "commandJson")]
    return write_object(out)


RATE_STRING = re.compile(r"([A-Za-z]+)\(((?:0|[1-9][0-9]*)(?:, ?(?:0|[1-9][0-9]*))*)\)")


def rate_string(node):
    """spec/schedule.md §6: the string form, no spaces."""
    if node.kind == "string":
        m = RATE_STRING.fullmatch(node.value)
        name, args = m.group(1), [a.strip() for a in m.group(2).split(",")]
    elif node.kind == "array":
        name, args = node.value[0].value, [v.value for v in node.value[1:]]
    else:
        members = dict(node.value)
        name, args = members["TAG"].value, [members[f"_{i}"].value for i in range(len(members) - 1)]
    return f"{name}({','.join(args)})"


def canon_schedule(text, root):
    """spec/schedule.md §6."""
    members = dict(root.value)
    out = [("name", scalar(members["name"])), ("rate", jstr(rate_string(members["rate"]))),
           ("payload", scalar(members["payload"]))]
    out += [(k, raw(text, v)) for k, v in root.value if k not in ("name", "rate", "payload")]
    return write_object(out)


def canonical(text):
    """The format of a document by its keys (§8), and its canonical text (§7)."""
    root = parse_document(text)
    assert root.kind == "object"
    keys = [k for k, _ in root.value]
    if "service_name" in keys:
        fmt, out = "record", canon_record(text, root)
    elif "meta" in keys:
        fmt, out = "command", canon_command(text, root)
    elif "rate" in keys:
        fmt, out = "schedule", canon_schedule(text, root)
    else:
        raise AssertionError("no format")
    # The canonical text is a fixed point (§7) and never longer than its input.
    again = parse_document(out)
    assert {"record": canon_record, "command": canon_command, "schedule": canon_schedule}[fmt](out, again) == out
    assert len(out.encode()) <= len(text.encode())
    return fmt, out


def at(document, needle, start=0, nth=0):
    """The byte offset of the nth occurrence of needle at or after character start."""
    i = document.index(needle, start)
    for _ in range(nth):
        i = document.index(needle, i + 1)
    return len(document[:i].encode())


def last(document, needle):
    i = document.rindex(needle)
    return len(document[:i].encode())


def too_deep(document):
    """The byte offset of the first bracket or brace at depth 33, counted outside strings
    (a scan of its own, to check the offsets built into the depth cases)."""
    depth, in_string, escaped = 0, False, False
    for i, ch in enumerate(document):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return len(document[:i].encode())
        elif ch in "]}":
            depth -= 1
    return None


RAW = {}


def doc_ok(name, section, description, document, fmt=None, canonical_text=None):
    """A valid document: expect its canonical text, as computed above (and, where a
    chapter prints it, as the chapter prints it)."""
    found, out = canonical(document)
    if fmt is not None:
        assert found == fmt, (name, found, fmt)
    if canonical_text is not None:
        assert out == canonical_text, (name, out, canonical_text)
    marker = f"@@decoded:{len(RAW)}@@"
    RAW[marker] = out
    cases.append({
        "id": f"json.{name}",
        "description": description,
        "section": section,
        "operation": "decode",
        "input": {"document": document},
        "expect": {"decoded": marker, "encoded": out},
    })


def doc_bad(name, section, description, error, offset, path="", document=None, document_hex=None):
    """A rejected document. The reader above must reject it too (it has no error classes:
    the class, offset and path are built into each case and checked with str.find)."""
    inp = {"document": document} if document is not None else {"document_hex": document_hex}
    data = document.encode() if document is not None else bytes.fromhex(document_hex)
    assert 0 <= offset <= len(data), (name, offset)
    try:
        canonical(data.decode())
    except (AssertionError, UnicodeDecodeError, IndexError, KeyError, AttributeError, ValueError):
        pass
    else:
        raise AssertionError(f"{name}: the reader here accepts it")
    cases.append({
        "id": f"json.{name}",
        "description": description,
        "section": section,
        "operation": "decode",
        "input": inp,
        "expect": {"error": error, "offset": offset, "path": path},
    })


def members_text(members, colon=":", comma=",", open_="{", close="}"):
    return open_ + comma.join(f"{jstr(k)}{colon}{v}" for k, v in members) + close


# The seed documents of the format chapters.
SEED_RECORD = [  # spec/record.md §7
    ("service_name", '"tracker_fetcher"'),
    ("instance_id", '"a1b2c3d4-e5f6-7890-abcd-ef1234567890"'),
    ("timestamp", '"2025-01-16T08:30:00.123456+00:00"'),
    ("uptime_seconds", "3600.5"),
    ("heartbeat_count", "60"),
    ("memory_usage_mb", "156.3"),
    ("cpu_usage_percent", "12.5"),
    ("queue_size", "1380"),
    ("last_successful_operation", '"2025-01-16T08:29:45.123456+00:00"'),
    ("api_status", '"authenticated"'),
]
SEED_RECORD_REQUIRED = SEED_RECORD[:3]
SEED_ENVELOPE = """{
  "id": "health-monitor",
  "meta": {
    "service": "CorePluginExtensionPoint",
    "time": "2024-01-26T10:30:00.000Z",
    "ip": "",
    "user": "Heartbeat",
    "msgId": "uuid-generated",
    "correlationId": "uuid-generated"
  },
  "commandJson": "Heartbeat(10)"
}"""
SEED_SCHEDULE = """{
  "name": "daily-report",
  "rate": "Daily(9, 0)",
  "payload": "{\\"type\\": \\"GenerateReport\\", \\"reportType\\": \\"daily\\"}"
}"""


def chapter_block(chapter, after):
    """The first ```json block after a line of a chapter: the canonical text it prints."""
    text = (ROOT / "spec" / chapter).read_text()
    return text[text.index(after):].split("```json\n", 1)[1].split("\n```", 1)[0]


RECORD_CANONICAL = chapter_block("record.md", "The seed's record, canonically:")
SCHEDULE_CANONICAL = chapter_block("schedule.md", "The **rate is written in its string form**")

# ---- §2.1 Encoding ---------------------------------------------------------------------

doc_ok("document.white-space", "2.1",
       "white space (space, tab, CR, LF) around the document and between all tokens is dropped",
       " \r\n" + members_text(SEED_RECORD, colon=" :\t", comma="\r\n  , ", open_="{\n  ", close="\n}") + "\n\t",
       fmt="record", canonical_text=RECORD_CANONICAL)
doc_ok("document.seed-record-pretty", "2.1", "the record of spec/record.md §7, pretty-printed as Python's json.dumps(indent=2) writes it",
       members_text(SEED_RECORD, colon=": ", comma=",\n  ", open_="{\n  ", close="\n}"),
       fmt="record", canonical_text=RECORD_CANONICAL)
doc_ok("document.utf8-kept", "2.1",
       "non-ASCII UTF-8 (2, 3 and 4 bytes) in keys and strings is kept as UTF-8, not escaped",
       members_text(SEED_RECORD_REQUIRED + [("température_°C", "21.5"), ("location", '"Zürich ✓ 東京 🫀"')]),
       fmt="record")
doc_ok("document.escape-written-as-character", "2.1",
       "a key written with \\u00e9 is written back as é, \\u005f as _ and \\/ as /; an extra's value keeps its escapes",
       '{"service_name":"tracker\\u005ffetcher","instance_id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890",'
       '"timestamp":"2025-01-16T08:30:00.123456+00:00","caf\\u00e9":"caf\\u00e9","a\\/b":1}',
       fmt="record")
doc_ok("document.escapes-in-a-string", "2.1",
       "a string a format reads is written with only the escapes RFC 8259 requires: \\u00e9, \\u0041, \\/ and \\u2028 "
       "become characters, \\u001F becomes \\u001f, \\b \\f \\n \\r \\t \\\" \\\\ stay",
       '{"name":"cleanup","rate":"Hours(6)","payload":"caf\\u00e9 \\u0041 a\\/b \\u2028 \\u001F \\b\\f\\n\\r\\t \\" \\\\ \\u0000"}',
       fmt="schedule")

utf8_prefix = '{"service_name":"caf'
doc_bad("document.not-utf8", "2.1", "a Latin-1 byte inside a string is not UTF-8",
        "json.utf8", len(utf8_prefix), document_hex=(utf8_prefix + '\xe9"}').encode("latin-1").hex())
doc_bad("document.utf8-truncated", "2.1", "a UTF-8 sequence cut short by the end of the document",
        "json.utf8", len(utf8_prefix), document_hex=(utf8_prefix.encode() + b"\xc3").hex())
doc_bad("document.utf8-overlong", "2.1", "an overlong encoding of '/' is not UTF-8",
        "json.utf8", len(utf8_prefix), document_hex=(utf8_prefix.encode() + b'\xc0\xaf"}').hex())
doc_bad("document.utf8-surrogate", "2.1", "a UTF-16 surrogate encoded in three bytes (CESU-8) is not UTF-8",
        "json.utf8", len(utf8_prefix), document_hex=(utf8_prefix.encode() + b'\xed\xa0\x80"}').hex())
doc_bad("document.utf8-before-syntax", "2.1", "bad UTF-8 is reported before a syntax error earlier in the document",
        "json.utf8", len("{'x':\""), document_hex=b"{'x':\"\xff\"}".hex())

seed = ('{"service_name":"tracker_fetcher","instance_id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890",'
        '"timestamp":"2025-01-16T08:30:00.123456+00:00","uptime_seconds":3600.5,"heartbeat_count":60,'
        '"memory_usage_mb":156.3,"cpu_usage_percent":12.5')

bom = b"\xef\xbb\xbf" + seed.encode() + b"}"
doc_bad("document.bom", "2.1", "a UTF-8 byte-order mark is not JSON", "json.syntax", 0, document_hex=bom.hex())
d = seed + "} {}"
doc_bad("document.trailing-value", "2.1", "a second value after the document", "json.syntax",
        last(d, "{"), document=d)
d = seed + ",}"
doc_bad("document.trailing-comma", "2.1", "JSON has no trailing commas", "json.syntax", last(d, "}"), document=d)
doc_bad("document.single-quotes", "2.1", "strings are in double quotes", "json.syntax", 1,
        document="{'service_name':'x'}")
d = seed.rsplit(":", 1)[0] + ":NaN}"
doc_bad("document.nan", "2.1", "NaN is not a JSON number (Python's json.dumps writes it)", "json.syntax",
        at(d, "NaN"), document=d)
doc_bad("document.truncated", "2.1", "a document cut short ends in a syntax error at its end",
        "json.syntax", len(seed), document=seed)
doc_bad("document.empty", "2.1", "an empty document", "json.syntax", 0, document="")
for name, member, unexpected, description in [
    ("bad-escape", '"note":"a\\x"', "x", "\\x is not a JSON escape: the x is unexpected"),
    ("bad-unicode-escape", '"note":"\\u12G4"', "G", "a \\u escape has four hex digits"),
    ("leading-zero", '"n":01', "1", "a number has no leading zero: the digit after 0 is unexpected"),
    ("plus-sign", '"n":+1', "+", "a number has no plus sign"),
    ("bare-fraction", '"n":.5', ".", "a fraction needs its integer part"),
    ("dot-without-digits", '"n":1.}', "}", "a dot needs a digit after it"),
    ("missing-colon", '"n" 1', "1", "a key needs its colon"),
    ("missing-comma", '"n":1 "m":2', '"m"', "members are separated by commas"),
    ("bad-literal", '"n":tru}', "}", "tru is not true"),
]:
    d = members_text(SEED_RECORD_REQUIRED)[:-1] + "," + member + "}"
    doc_bad(f"document.syntax-{name}", "2.1", description, "json.syntax",
            at(d, unexpected, len(members_text(SEED_RECORD_REQUIRED)) - 1), document=d)
d = members_text(SEED_RECORD_REQUIRED + [("note", '"a\ttab"')])
doc_bad("document.raw-control-character", "2.1", "a raw tab inside a string is not JSON (it must be \\t)",
        "json.syntax", at(d, "\t"), document=d)

# ---- §2.2 Size -------------------------------------------------------------------------

pad_prefix = members_text(SEED_RECORD)[:-1] + ',"padding":"'
exact = pad_prefix + "x" * (MAX_LEN - len(pad_prefix) - 2) + '"}'
assert len(exact.encode()) == MAX_LEN
doc_ok("document.exactly-64-kib", "2.2", "a canonical record of exactly 65,536 bytes, padded with an extra string member, is accepted",
       exact, fmt="record", canonical_text=exact)

big = seed + ',"padding":"' + "x" * (MAX_LEN - len(seed) - 13) + '"}'
assert len(big.encode()) == MAX_LEN + 1
doc_bad("document.over-size", "2.2", "one byte over 64 KiB is rejected before parsing", "json.size", MAX_LEN, document=big)
pad = "é" * ((MAX_LEN - len(pad_prefix) - 1) // 2)
big = pad_prefix + pad + '"}'
assert len(big) < MAX_LEN < len(big.encode()), (len(big), len(big.encode()))
doc_bad("document.over-size-in-bytes", "2.2", "the limit counts bytes, not characters: fewer than 65,536 characters, more bytes",
        "json.size", MAX_LEN, document=big)
big = "{" + " " * (MAX_LEN - 3) + "x}"
assert len(big) == MAX_LEN
doc_bad("document.size-counts-white-space", "2.2", "white space counts: 65,536 bytes with a syntax error at the end are read",
        "json.syntax", MAX_LEN - 2, document=big)
big = b"{\"x\":\"\xff" + b"x" * (MAX_LEN - 8) + b"\"}"
assert len(big) == MAX_LEN + 1
doc_bad("document.size-before-utf8", "2.2", "the size limit is checked before UTF-8", "json.size", MAX_LEN,
        document_hex=big.hex())

# ---- §2.3 Nesting depth ----------------------------------------------------------------

d = members_text(SEED_RECORD_REQUIRED + [("nested", "[" * 31 + "]" * 31)])
doc_ok("document.depth-32", "2.3", "an extra member of arrays nested to depth 32 (the document is depth 1) is accepted", d, fmt="record")
d = members_text(SEED_RECORD_REQUIRED + [("nested", '{"a":' * 30 + '{"a":null}' + "}" * 30)])
doc_ok("document.depth-32-objects", "2.3", "objects nested to depth 32 are accepted", d, fmt="record")
d = members_text(SEED_RECORD_REQUIRED + [("s", '"' + "[{" * 40 + '"'), ("nested", "[" * 31 + "]" * 31)])
doc_ok("document.brackets-in-strings", "2.3", "brackets and braces inside strings do not nest", d, fmt="record")

deep = seed + ',"nested":' + "[" * 32 + "]" * 32 + "}"
assert too_deep(deep) == at(deep, "[") + 31
doc_bad("document.too-deep", "2.3", "an extra member of arrays nesting to depth 33 (the document is depth 1)",
        "json.depth", at(deep, "[") + 31, path="nested" + "[0]" * 31, document=deep)
deep = members_text(SEED_RECORD_REQUIRED + [("nested", '{"a":' * 31 + "{}" + "}" * 31)])
assert too_deep(deep) == last(deep, "{")
doc_bad("document.too-deep-objects", "2.3", "objects nesting to depth 33: the error is at the brace, its path through the keys",
        "json.depth", last(deep, "{"), path="nested" + ".a" * 31, document=deep)
deep = members_text(SEED_RECORD_REQUIRED + [("stats", '{"by_day":[1,2,3,' + "[" * 30 + "]" * 30 + "]}")])
assert too_deep(deep) == at(deep, "[[") + 29
doc_bad("document.too-deep-path", "2.3", "the path of a value too deep goes through keys and indexes",
        "json.depth", at(deep, "[[") + 29, path="stats.by_day[3]" + "[0]" * 29, document=deep)
deep = SEED_ENVELOPE.replace('"correlationId": "uuid-generated"',
                             '"correlationId": "uuid-generated",\n    "headers": {"h": ' + "[" * 30 + "]" * 30 + "}")
assert too_deep(deep) == at(deep, "[") + 29
doc_bad("document.too-deep-envelope", "2.3", "in an envelope, meta.headers is depth 3: an array in a header reaches 33 sooner",
        "json.depth", at(deep, "[") + 29, path="meta.headers.h" + "[0]" * 29, document=deep)
d = members_text(SEED_RECORD_REQUIRED + [("nested", "[" * 32 + "]" * 32)])[:-1] + ","
doc_bad("document.too-deep-before-syntax", "2.3", "a document is read front to back: a nesting too deep is met before the end cut short",
        "json.depth", too_deep(d), path="nested" + "[0]" * 31, document=d)
d = '{"service_name":tru,"nested":' + "[" * 32 + "]" * 32 + "}"
doc_bad("document.syntax-before-too-deep", "2.3", "and a syntax error before a nesting too deep is reported first",
        "json.syntax", at(d, ","), document=d)

# ---- §2.4 Duplicate keys ---------------------------------------------------------------

d = members_text(SEED_RECORD_REQUIRED + [("a", '{"k":1}'), ("b", '{"k":2,"a":{"a":3}}'), ("info", '{"service_name":"x","timestamp":1}')])
doc_ok("document.same-key-in-two-objects", "2.4",
       "the same key in two different objects, and a top-level key inside an extra's object, are not duplicates", d, fmt="record")
d = members_text(SEED_RECORD_REQUIRED + [("queue_size", "1"), ("Queue_size", "2"), ("queue_size ", "3")])
doc_ok("document.keys-differ-by-case", "2.4", "keys are compared exactly: case and trailing space make different keys", d, fmt="record")

d = seed + ',"service_name":"other"}'
doc_bad("document.duplicate-top-level", "2.4", "service_name twice: readers would disagree on which wins",
        "json.duplicate", last(d, '"service_name"'), path="service_name", document=d)
d = seed + ',"queue_size":1,"queue\\u005fsize":2}'
doc_bad("document.duplicate-after-unescaping", "2.4", "keys are compared after unescaping",
        "json.duplicate", at(d, '"queue\\u005fsize"'), path="queue_size", document=d)
d = seed + ',"extra":{"a":1,"a":2}}'
doc_bad("document.duplicate-nested", "2.4", "duplicates are rejected at every depth",
        "json.duplicate", last(d, '"a"'), path="extra.a", document=d)
d = '{"service_name":"a","service_name":"b",'
doc_bad("document.duplicate-before-syntax", "2.4", "a document is read front to back: a duplicate key is met before the end cut short",
        "json.duplicate", last(d, '"service_name"'), path="service_name", document=d)
d = '{"service_name":"a",x,"service_name":"b"}'
doc_bad("document.syntax-before-duplicate", "2.4", "and a syntax error before a duplicate key is reported first",
        "json.syntax", at(d, "x"), document=d)
d = members_text(SEED_RECORD_REQUIRED + [("items", '[{"id":1},{"id":2,"id":3}]')])
doc_bad("document.duplicate-in-array", "2.4", "a duplicate in an object inside an array: the path has the index",
        "json.duplicate", last(d, '"id"'), path="items[1].id", document=d)
d = SEED_ENVELOPE.replace('"user": "Heartbeat",', '"user": "Heartbeat",\n    "user": "Other",')
doc_bad("document.duplicate-in-envelope-meta", "2.4", "a key twice in an envelope's meta",
        "json.duplicate", last(d, '"user"'), path="meta.user", document=d)
d = '{"name":"a","rate":"Hours(1)","payload":"","name":"b"}'
doc_bad("document.duplicate-in-schedule", "2.4", "a key twice in a schedule",
        "json.duplicate", last(d, '"name"'), path="name", document=d)

# ---- §5 Numbers ------------------------------------------------------------------------

d = members_text(SEED_RECORD_REQUIRED + [("uptime_seconds", "3600.0"), ("heartbeat_count", "60"),
                                         ("memory_usage_mb", "156.30"), ("cpu_usage_percent", "1e-05")])
doc_ok("numbers.kept-as-text", "5", "3600.0 (Python's float), 156.30 and 1e-05 come back out as written", d, fmt="record")
d = members_text(SEED_RECORD_REQUIRED + [("uptime_seconds", "1.7976931348623157e308"), ("memory_usage_mb", "1e-400"),
                                         ("cpu_usage_percent", "12.5E+1"), ("neg_zero", "-0.0"), ("big", "1E+2"),
                                         ("beyond_u64", "18446744073709551616"), ("long", "0.1000000000000000000000001")])
doc_ok("numbers.spellings-kept", "5",
       "the largest double, a value that underflows to zero, exponents, -0.0 and integers beyond 64 bits are kept as written",
       d, fmt="record")
d = members_text(SEED_RECORD_REQUIRED + [("uptime_seconds", "1" + "0" * 308), ("memory_usage_mb", "0." + "0" * 400 + "1")])
doc_ok("numbers.long-without-exponent", "5", "a 309-digit integer (1e308) and a 403-character fraction are within range and kept",
       d, fmt="record")
d = SEED_ENVELOPE.replace('"correlationId": "uuid-generated"', '"correlationId": "uuid-generated",\n    "schemaVersion": 1.50') \
    .replace('"commandJson": "Heartbeat(10)"', '"command": ["Heartbeat", 10.0]')
doc_ok("numbers.kept-in-envelope", "5", "an envelope's schemaVersion 1.50 and timeout 10.0 keep their text in the sury form",
       d, fmt="command")

d = members_text(SEED_RECORD_REQUIRED + [("memory_usage_mb", "1e400")])
doc_bad("numbers.out-of-range", "5", "1e400 is beyond the range of a double (infinity in JavaScript and Python)",
        "json.value", at(d, "1e400"), path="memory_usage_mb", document=d)
d = members_text(SEED_RECORD_REQUIRED + [("uptime_seconds", "-1e400")])
doc_bad("numbers.out-of-range-negative", "5", "so is -1e400 (minus infinity)",
        "json.value", at(d, "-1e400"), path="uptime_seconds", document=d)
d = members_text(SEED_RECORD_REQUIRED + [("cpu_usage_percent", "1.8e308")])
doc_bad("numbers.just-beyond-double", "5", "1.8e308 is just beyond the largest double",
        "json.value", at(d, "1.8e308"), path="cpu_usage_percent", document=d)
d = members_text(SEED_RECORD_REQUIRED + [("memory_usage_mb", "9" * 309)])
doc_bad("numbers.huge-integer", "5", "an integer of 309 nines, without exponent, is beyond the range of a double",
        "json.value", at(d, "9" * 309), path="memory_usage_mb", document=d)
d = SEED_ENVELOPE.replace('"commandJson": "Heartbeat(10)"', '"command": ["Heartbeat", 1e400]')
doc_bad("numbers.out-of-range-in-envelope", "5", "a timeout of 1e400 in an envelope's array form",
        "json.value", at(d, "1e400"), path="command[1]", document=d)

# ---- §6 Extra members ------------------------------------------------------------------

d = ('{"queue_size": 1380, "service_name": "tracker_fetcher", "stats": { "a" : [1, 2] , "b":null },\n'
     ' "instance_id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890", "note": "caf\\u00e9",'
     ' "timestamp": "2025-01-16T08:30:00.123456+00:00", "flags": [ true,false ], "nothing": null, "heartbeat_count": 60}')
doc_ok("extras.kept-verbatim-in-order", "6",
       "extra members come after the defined ones in their original order, values byte for byte (inner white space, escapes)",
       d, fmt="record")
d = SEED_ENVELOPE.replace('"id": "health-monitor",', '"delay": { "seconds" : 5 },\n  "id": "health-monitor",') \
    .replace('"correlationId": "uuid-generated"', '"correlationId": "uuid-generated",\n    "region": "eu-west-1"')
doc_ok("extras.kept-in-envelope", "6", "an envelope's extra members and its meta's are kept, written after the known ones",
       d, fmt="command")
d = '{"tenant": "acme", "payload": "", "name": "cleanup", "rate": ["Hours", 6], "description": "every six hours"}'
doc_ok("extras.kept-in-schedule", "6", "a schedule's extra members are kept, written after name, rate and payload", d, fmt="schedule")

d = members_text(SEED_RECORD_REQUIRED + [("queue_size", "1"), ("api_status", '"ok"'), ("queue_size", "2")])
doc_bad("extras.duplicate", "6", "an extra member twice is a duplicate like any other key",
        "json.duplicate", last(d, '"queue_size"'), path="queue_size", document=d)
d = '{"name":"a","rate":"Hours(1)","payload":"","tenant":"x","tenant":"y"}'
doc_bad("extras.duplicate-in-schedule", "6", "a schedule's extra member twice",
        "json.duplicate", last(d, '"tenant"'), path="tenant", document=d)
d = members_text(SEED_RECORD_REQUIRED + [("stats", '{"x":1,"x":2}')])
doc_bad("extras.duplicate-inside", "6", "a key twice inside an extra member's value",
        "json.duplicate", last(d, '"x"'), path="stats.x", document=d)

# ---- §8 Format detection ---------------------------------------------------------------

doc_ok("detect.record", "8", "service_name makes a record", members_text(SEED_RECORD, colon=": ", comma=", "), fmt="record",
       canonical_text=RECORD_CANONICAL)
doc_ok("detect.envelope", "8", "meta makes a command envelope: the seed's, written in the canonical sury dialect",
       SEED_ENVELOPE, fmt="command")
doc_ok("detect.schedule", "8", "rate makes a schedule: the seed's, its rate written without spaces",
       SEED_SCHEDULE, fmt="schedule", canonical_text=SCHEDULE_CANONICAL)
d = '{"rate": "Hours(6)", ' + members_text(SEED_RECORD_REQUIRED)[1:]
doc_ok("detect.record-before-rate", "8", "a document with both service_name and rate is a record; rate is an extra member",
       d, fmt="record")
d = members_text(SEED_RECORD_REQUIRED + [("meta", '{"service": "x"}')])
doc_ok("detect.record-before-meta", "8", "service_name beats meta: a record with an extra member meta", d, fmt="record")
d = SEED_ENVELOPE[:-2] + ',\n  "rate": "Hours(6)"\n}'
doc_ok("detect.envelope-before-rate", "8", "meta beats rate: an envelope with an extra member rate", d, fmt="command")
d = '{"service\\u005fname":"tracker_fetcher","instance_id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","timestamp":"2025-01-16T08:30:00Z"}'
doc_ok("detect.escaped-key", "8", "keys are compared after unescaping: service\\u005fname is service_name", d, fmt="record")

doc_bad("document.not-object", "8", "every format's document is an object", "json.type", 0, document='["service_name"]')
doc_bad("detect.string", "8", "a string is not a document, even one naming a format", "json.type", 1, document=' "service_name"')
doc_bad("detect.null", "8", "null is not a document", "json.type", 0, document="null")
doc_bad("document.unknown-format", "8", "an object with none of the detecting keys",
        "json.missing", 0, document='{"service":"x","time":"2025-01-16T08:30:00Z"}')
doc_bad("detect.unknown-format-white-space", "8", "json.missing points at the object's brace, after white space",
        "json.missing", 2, document='\n {"Service_Name":"x"}')
doc_bad("detect.nested-key-only", "8", "only top-level keys count: service_name inside a member does not make a record",
        "json.missing", 0, document='{"info":{"service_name":"x","meta":{},"rate":"Hours(1)"}}')
d = '{"service_name":"a","name":"cleanup","rate":"Hours(6)","payload":""}'
doc_bad("detect.record-wins-over-schedule", "8",
        "a complete schedule with a service_name is read as a record, which misses instance_id",
        "json.missing", 0, document=d)

# ---- §4 Timestamps inside documents: dates that do not exist ---------------------------

def record_with(timestamp, extra=()):
    return members_text([SEED_RECORD[0], SEED_RECORD[1], ("timestamp", jstr(timestamp))] + list(extra))


for name, stamp, why in [
    ("2025-02-29", "2025-02-29T08:30:00.123456+00:00", "29 February of a common year"),
    ("2025-04-31", "2025-04-31T08:30:00.123456+00:00", "April has 30 days"),
    ("1900-02-29", "1900-02-29T08:30:00+00:00", "1900 is not a leap year (divisible by 100, not by 400)"),
]:
    d = record_with(stamp)
    doc_bad(f"timestamp.record-{name}", "4.2", f"a record whose timestamp is {name}, which does not exist ({why}): rejected at the day's first digit",
            "json.timestamp", at(d, stamp) + 8, path="timestamp", document=d)
for name, stamp, why in [
    ("2025-02-29", "2025-02-29T10:30:00.000Z", "29 February of a common year"),
    ("2025-04-31", "2025-04-31T10:30:00.000Z", "April has 30 days"),
    ("1900-02-29", "1900-02-29T10:30:00.000Z", "1900 is not a leap year"),
]:
    d = SEED_ENVELOPE.replace("2024-01-26T10:30:00.000Z", stamp)
    doc_bad(f"timestamp.envelope-{name}", "4.2", f"an envelope whose meta.time is {name}, which does not exist ({why}): rejected at the day's first digit",
            "json.timestamp", at(d, stamp) + 8, path="meta.time", document=d)
for name, stamp in [("2024-02-29", "2024-02-29T08:30:00.123456+00:00"), ("2000-02-29", "2000-02-29T08:30:00+00:00")]:
    doc_ok(f"timestamp.record-{name}", "4.2", f"a record whose timestamp is {name}, a leap day that exists", record_with(stamp), fmt="record")
d = SEED_ENVELOPE.replace("2024-01-26T10:30:00.000Z", "2024-02-29T10:30:00.000Z")
doc_ok("timestamp.envelope-2024-02-29", "4.2", "an envelope whose meta.time is 29 February 2024, which exists", d, fmt="command")
d = record_with("2025-01-16T08:30:00.123456+00:00", [("last_successful_operation", '"2025-02-29T08:29:45.123456+00:00"')])
doc_ok("timestamp.impossible-date-in-extra-kept", "6",
       "an impossible date in an extra member is not a timestamp of the format: the extra is kept as given (spec/record.md §6)",
       d, fmt="record")

suite = {
    "suite": "heartwire-json",
    "version": "3.0.0",
    "spec": "spec/json.md",
    "spec_version": "1.0.0",
    "format": "json",
    "cases": cases,
}
ids = [c["id"] for c in cases]
assert len(ids) == len(set(ids)), "duplicate ids"
text = json.dumps(suite, indent=2, ensure_ascii=False) + "\n"
# The canonical document goes into `decoded` as JSON text, exactly as written, so that its
# numbers keep their text (json.dumps would write 156.30 as 156.3).
for marker, out in RAW.items():
    assert text.count(json.dumps(marker)) == 1
    text = text.replace(json.dumps(marker), out)
OUT.write_text(text)
print(f"wrote {len(cases)} cases to {OUT.relative_to(ROOT)}")

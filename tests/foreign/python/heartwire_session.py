"""A foreign implementation of the beatit text convention, under `heartwire verify`.

Speaks the session protocol of spec/harness.md on stdin/stdout (JSON lines). Decoding
is this file's own code, written from spec/text.md; encoding goes through the real
beatit package (PyPI beatit 2022.3.1): a message is published by beatit's own Heart into
a recording publisher, so the subject and payload bytes are the ones beatit builds.

    heartwire verify --mode session -- python heartwire_session.py

Only the text format is declared in hello; the JSON formats are not implemented here.
Rejections give the error class, and the byte offset where this code knows it (decode
cases; not for the JSON form of encode cases).
"""

import decimal
import json
import sys

import beatit

NAME = "heartwire-foreign-python"
VERSION = "1.0.0"
PROTOCOL = 1

MAX_SUBJECT = 255
MAX_PAYLOAD = 64
MAX_LINE = 320
MAX_JSON = 1024
PREFIX = b"heartbeat."
TOKEN = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
DIGITS = frozenset(b"0123456789")
NANOS = 10**9
MAX_SECONDS = 10**9

EXACT = decimal.Context(prec=200, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN, traps=[])


class Rejected(Exception):
    """An invalid input: its error class and, where known, its byte offset."""

    def __init__(self, error, offset=None):
        super().__init__(error)
        self.error = error
        self.offset = offset


class FakeTime:
    """Stands in for the `time` module inside beatit: no 0.1 s sleep after stop, and
    a clock far from 0 so that a fresh Heart never throttles its first beat."""

    @staticmethod
    def time():
        return 1_000_000.0

    @staticmethod
    def sleep(_seconds):
        pass


beatit.time = FakeTime


class Recorder:
    """A blocking publisher that keeps what beatit publishes."""

    def __init__(self):
        self.sent = []

    def publish(self, *, subject, payload):
        self.sent.append((subject, payload))


class Canonical:
    """A duration that beatit formats (f"beat/{period}") as its canonical number."""

    def __init__(self, nanos):
        self.nanos = nanos

    def __format__(self, _spec):
        seconds, fraction = divmod(self.nanos, NANOS)
        if fraction == 0:
            return str(seconds)
        return f"{seconds}.{fraction:09d}".rstrip("0")


# ---------------------------------------------------------------------------------------
# Decoding (own code, spec/text.md §3-§5, §7, §10)
# ---------------------------------------------------------------------------------------

def utf8(data, base=0):
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Rejected("encoding.utf8", base + e.start) from None


def process_of(subject, base=0):
    """The process name of a subject (bytes, already UTF-8), or Rejected."""
    for i, want in enumerate(PREFIX):
        if i >= len(subject) or subject[i] != want:
            raise Rejected("subject.prefix", base + i)
    at = len(PREFIX)
    while True:
        start = at
        while at < len(subject) and subject[at] in TOKEN:
            at += 1
        if at < len(subject) and subject[at] != ord("."):
            raise Rejected("subject.forbidden-char", base + at)
        if at == start:
            raise Rejected("subject.empty-token", base + start)
        if at == len(subject):
            return subject[len(PREFIX):].decode("ascii")
        at += 1  # the dot


def number_end(payload, at, base):
    """Checks the number grammar from `at`; returns where the number ends."""
    start = at
    if at < len(payload) and payload[at] == ord("0"):
        at += 1
        if at < len(payload) and payload[at] in DIGITS:
            raise Rejected("number.leading-zero", base + at)
    elif at < len(payload) and payload[at] in DIGITS:
        while at < len(payload) and payload[at] in DIGITS:
            at += 1
    else:
        raise Rejected("number.syntax", base + start)
    if at < len(payload) and payload[at] == ord("."):
        at += 1
        if not (at < len(payload) and payload[at] in DIGITS):
            raise Rejected("number.syntax", base + at)
        while at < len(payload) and payload[at] in DIGITS:
            at += 1
    if at < len(payload) and payload[at] in b"eE":
        at += 1
        if at < len(payload) and payload[at] in b"+-":
            at += 1
        if not (at < len(payload) and payload[at] in DIGITS):
            raise Rejected("number.syntax", base + at)
        while at < len(payload) and payload[at] in DIGITS:
            at += 1
    return at


def nanos_of(text, offset):
    """The exact duration of a number's text, in nanoseconds, rounded half to even."""
    value = decimal.Decimal(text)
    if value > MAX_SECONDS:
        raise Rejected("number.range", offset)
    with decimal.localcontext(EXACT):
        nanos = int((value * NANOS).quantize(decimal.Decimal(1), rounding=decimal.ROUND_HALF_EVEN))
    if nanos == 0:
        raise Rejected("number.zero", offset)
    if nanos > MAX_SECONDS * NANOS:
        raise Rejected("number.range", offset)
    return nanos


def signal_of(payload, base=0):
    """(signal, nanos or None) of a payload (bytes, already UTF-8), or Rejected."""
    end = 0
    while end < len(payload) and (0x41 <= payload[end] <= 0x5A or 0x61 <= payload[end] <= 0x7A):
        end += 1
    word = payload[:end]
    if word == b"stop":
        if len(payload) > 4:
            raise Rejected("payload.unexpected-value", base + 4)
        return "stop", None
    if word not in (b"start", b"beat", b"degraded"):
        raise Rejected("payload.unknown-signal", base)
    if end >= len(payload) or payload[end] != ord("/"):
        raise Rejected("payload.missing-value", base + end)
    at = end + 1
    stop = number_end(payload, at, base)
    if stop != len(payload):
        raise Rejected("payload.trailing-input", base + stop)
    return word.decode(), nanos_of(payload[at:].decode("ascii"), base + at)


def decode_parts(subject, payload):
    if len(subject) > MAX_SUBJECT:
        raise Rejected("limit.length", MAX_SUBJECT)
    utf8(subject)
    process = process_of(subject)
    if len(payload) > MAX_PAYLOAD:
        raise Rejected("limit.length", MAX_PAYLOAD)
    utf8(payload)
    return (process,) + signal_of(payload)


def decode_line(line):
    if len(line) > MAX_LINE:
        raise Rejected("limit.length", MAX_LINE)
    utf8(line)
    space = line.find(b" ")
    subject = line if space < 0 else line[:space]
    if len(subject) > MAX_SUBJECT:
        raise Rejected("limit.length", MAX_SUBJECT)
    process = process_of(subject)
    if space < 0:
        raise Rejected("line.separator", len(line))
    payload = line[space + 1:]
    base = space + 1
    if len(payload) > MAX_PAYLOAD:
        raise Rejected("limit.length", base + MAX_PAYLOAD)
    return (process,) + signal_of(payload, base)


# ---------------------------------------------------------------------------------------
# The JSON form (spec/text.md §9) and encoding through beatit
# ---------------------------------------------------------------------------------------

class Number:
    """A JSON number, kept as its text."""

    def __init__(self, text):
        self.text = text


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise Rejected("json.shape")
    return dict(pairs)


def not_a_constant(_name):
    raise Rejected("json.shape")


def from_json(text):
    """(process, signal, nanos or None) of a JSON form, or Rejected (class only)."""
    if len(text.encode("utf-8")) > MAX_JSON:
        raise Rejected("limit.length", MAX_JSON)
    try:
        obj = json.loads(text, object_pairs_hook=no_duplicates, parse_float=Number,
                         parse_int=Number, parse_constant=not_a_constant)
    except ValueError:
        raise Rejected("json.shape") from None
    if not isinstance(obj, dict):
        raise Rejected("json.shape")
    if not {"format", "process", "signal"} <= obj.keys() or \
            not obj.keys() <= {"format", "process", "signal", "period", "warmup"}:
        raise Rejected("json.shape")
    if not all(isinstance(obj[k], str) for k in ("format", "process", "signal")):
        raise Rejected("json.shape")
    if obj["format"] != "text":
        raise Rejected("json.format")
    process = obj["process"].encode("utf-8")
    if len(process) > MAX_SUBJECT - len(PREFIX):
        raise Rejected("limit.length")
    try:
        process_of(PREFIX + process)
    except Rejected as e:
        raise Rejected(e.error) from None
    signal = obj["signal"].encode("utf-8")
    if signal not in (b"start", b"beat", b"degraded", b"stop"):
        raise Rejected("payload.unknown-signal")
    wanted = {"start": "warmup", "beat": "period", "degraded": "period", "stop": None}[obj["signal"]]
    given = [k for k in ("period", "warmup") if k in obj]
    if given != ([wanted] if wanted else []):
        raise Rejected("json.value")
    if wanted is None:
        return obj["process"], "stop", None
    value = obj[wanted]
    text = value.text.encode() if isinstance(value, Number) else b"\""
    try:
        if number_end(text, 0, 0) != len(text):
            raise Rejected("number.syntax")
        nanos = nanos_of(value.text, 0)
    except Rejected as e:
        raise Rejected(e.error) from None
    return obj["process"], obj["signal"], nanos


def encode(process, signal, nanos):
    """The line form, as beatit publishes the message."""
    recorder = Recorder()
    heart = beatit.Heart(process, publisher=recorder)
    if signal == "start":
        heart.start(warmup=Canonical(nanos))
    elif signal == "beat":
        heart.beat(period=Canonical(nanos))
    elif signal == "degraded":
        heart.degraded(period=Canonical(nanos))
    else:
        heart.stop()
    (subject, payload), = recorder.sent
    return (subject + b" " + payload).decode("ascii")


def decoded_json(process, signal, nanos):
    """The canonical JSON form (§9), written by hand to keep the number exact."""
    text = '{"format":"text","process":' + json.dumps(process) + ',"signal":"' + signal + '"'
    if nanos is not None:
        key = "warmup" if signal == "start" else "period"
        text += f',"{key}":{format(Canonical(nanos))}'
    return text + "}"


# ---------------------------------------------------------------------------------------
# The session
# ---------------------------------------------------------------------------------------

def field(inp, name):
    if name in inp:
        return inp[name].encode("utf-8")
    if name + "_hex" in inp:
        return bytes.fromhex(inp[name + "_hex"])
    return None


def answer(request):
    seq = request["seq"]
    operation = request["operation"]
    inp = request["input"]
    try:
        if operation == "decode":
            line = field(inp, "line")
            if line is not None:
                message = decode_line(line)
            else:
                message = decode_parts(field(inp, "subject"), field(inp, "payload"))
            output = '{"decoded":' + decoded_json(*message) + ',"encoded":' + json.dumps(encode(*message)) + "}"
        elif operation == "encode":
            output = '{"encoded":' + json.dumps(encode(*from_json(inp["json"]))) + "}"
        else:
            return json.dumps({"type": "skipped", "seq": seq, "reason": f"no operation {operation}"})
    except Rejected as e:
        rejected = {"type": "rejected", "seq": seq, "error": e.error}
        if e.offset is not None:
            rejected["offset"] = e.offset
        return json.dumps(rejected)
    return '{"type":"ok","seq":' + str(seq) + ',"output":' + output + "}"


def main():
    out = sys.stdout
    for line in sys.stdin:
        message = json.loads(line)
        kind = message.get("type")
        if kind == "hello":
            reply = json.dumps({
                "type": "hello", "protocol": PROTOCOL, "name": NAME, "version": VERSION,
                "supports": {"text": ["decode", "encode"]},
                "choices": {"encoder": f"beatit {beatit.__version__}",
                            "json.shape offsets": "not reported"},
            })
        elif kind == "request":
            reply = answer(message)
        elif kind == "stop":
            return
        else:
            continue
        out.write(reply + "\n")
        out.flush()


if __name__ == "__main__":
    main()

"""An implementation that answers every case with its own expectation, read from the
vector files, except for one case where it fails in a chosen way. It is the deliberately
broken implementation of the harness's own tests: one run per failure class, each
checked to be reported with the right status, case id and exit status.

    python3 oracle.py session [--fault KIND --case ID]   # session mode
    python3 oracle.py exec    [--fault KIND --case ID]   # exec mode (then OPERATION FORMAT)

KIND is one of:

    wrong-output     answers the case with an output that differs from the expected one
    accepts-invalid  accepts an invalid input (answers an output)
    rejects-valid    rejects a valid input
    crash            raises an exception (Python exits 1 with a traceback on stderr)
    hang             sleeps far past any timeout
    garbage          writes a line that is not JSON
    exit             exits mid-session without answering (session mode)
    flood            writes a 5 MiB line (more than the harness reads) instead of an answer
    noisy            writes 8 MiB to stderr, then answers correctly (stderr means nothing)
    bad-hello        answers hello with another protocol version (session mode)

Python only (no packages): the vector files are in spec/vectors of the repository.
"""

import decimal
import json
import os
import pathlib
import sys
import time

VECTORS = pathlib.Path(__file__).resolve().parents[3] / "spec" / "vectors"
FILES = ["text.json", "json.json", "record.json", "command.json", "schedule.json"]


def load():
    cases = {}
    for name in FILES:
        # Numbers as exact decimals: a binary float would change `0.1000000000000000000000001`.
        text = (VECTORS / name).read_text(encoding="utf-8")
        suite = json.loads(text, parse_float=decimal.Decimal)
        for case in suite["cases"]:
            cases[case["id"]] = case
    return cases


def dumps(value):
    """JSON text of a value, its decimals written exactly as they were read."""
    decimals = []

    def mark(d):
        decimals.append(str(d))
        return f"\u0000{len(decimals) - 1}\u0000"

    def walk(v):
        if isinstance(v, decimal.Decimal):
            return mark(v)
        if isinstance(v, dict):
            return {k: walk(x) for k, x in v.items()}
        if isinstance(v, list):
            return [walk(x) for x in v]
        return v

    text = json.dumps(walk(value))
    for i, d in enumerate(decimals):
        text = text.replace(f'"\\u0000{i}\\u0000"', d, 1)
    return text


def expected_answer(case):
    """("ok", output) or ("rejected", rejection) as the case expects."""
    expect = case["expect"]
    if "error" in expect:
        return "rejected", {k: expect[k] for k in ("error", "offset", "path") if k in expect}
    return "ok", {k: expect[k] for k in ("decoded", "encoded", "result") if k in expect}


def faulty_answer(case, fault):
    """The answer with the fault applied; may not return (crash, hang, exit)."""
    kind, body = expected_answer(case)
    if fault == "wrong-output":
        if kind == "ok" and "encoded" in body:
            body["encoded"] += " wrong"
        elif kind == "ok":
            body["result"] = "wrong"
        else:
            body["error"] = "wrong.class"
    elif fault == "accepts-invalid":
        kind, body = "ok", {"encoded": "accepted"}
    elif fault == "rejects-valid":
        kind, body = "rejected", {"error": "json.value"}
    elif fault == "crash":
        raise RuntimeError(f"deliberate crash on {case['id']}")
    elif fault == "hang":
        time.sleep(3600)
    elif fault == "garbage":
        return None
    elif fault == "flood":
        return "flood", None
    elif fault == "noisy":
        for _ in range(8):
            sys.stderr.write("x" * (1 << 20))
        sys.stderr.flush()
    elif fault == "exit":
        sys.exit(0)
    return kind, body


def parse_args(argv):
    mode, rest = argv[0], argv[1:]
    fault = target = None
    while len(rest) >= 2 and rest[0] in ("--fault", "--case"):
        if rest[0] == "--fault":
            fault = rest[1]
        else:
            target = rest[1]
        rest = rest[2:]
    return mode, fault, target, rest


def session(cases, fault, target):
    out = sys.stdout
    for line in sys.stdin:
        message = json.loads(line)
        if message["type"] == "hello":
            protocol = 99 if fault == "bad-hello" else 1
            formats = {}
            for case in cases.values():
                fmt = case["id"].split(".")[0]
                ops = formats.setdefault(fmt, [])
                if case["operation"] not in ops:
                    ops.append(case["operation"])
            reply = {"type": "hello", "protocol": protocol, "name": "oracle",
                     "version": fault or "sound", "supports": formats}
            out.write(json.dumps(reply) + "\n")
        elif message["type"] == "request":
            case = cases[message["id"]]
            answer = faulty_answer(case, fault) if case["id"] == target else expected_answer(case)
            if answer is None:
                out.write("this is not JSON\n")
            elif answer[0] == "flood":
                out.write("[" * (5 << 20) + "\n")
            else:
                kind, body = answer
                if kind == "ok":
                    reply = {"type": "ok", "seq": message["seq"], "output": body}
                else:
                    reply = dict(body, type="rejected", seq=message["seq"])
                out.write(dumps(reply) + "\n")
        else:
            return
        out.flush()


def exec_one(cases, fault, target):
    json.loads(sys.stdin.read())
    case = cases[os.environ["HEARTWIRE_CASE_ID"]]
    answer = faulty_answer(case, fault) if case["id"] == target else expected_answer(case)
    if answer is None:
        print("this is not JSON")
        return 0
    kind, body = answer
    if kind == "flood":
        print("[" * (5 << 20))
        return 0
    print(dumps(body))
    return 0 if kind == "ok" else 1


def main():
    mode, fault, target, _ = parse_args(sys.argv[1:])
    cases = load()
    if mode == "session":
        session(cases, fault, target)
        return 0
    return exec_one(cases, fault, target)


if __name__ == "__main__":
    sys.exit(main())

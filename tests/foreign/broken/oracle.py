"""An implementation that answers every case with its own expectation, read from the
vector files, except for one case where it fails in a chosen way. It is the deliberately
broken implementation of the harness's own tests: one run per failure class, each
checked to be reported with the right status, case id and exit status.

    python3 oracle.py session [--fault KIND --case ID] [--dir DIR]   # session mode
    python3 oracle.py exec    [--fault KIND --case ID] [--dir DIR]   # exec mode (then OPERATION FORMAT)

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
    unsupported      says the case is not supported: exit 3 in exec mode, `skipped` with a
                     reason in session mode
    signal           kills itself with SIGKILL (a death by a signal, not an exit status)
    errored          answers `errored` (session mode); exits with status 2, which the
                     protocol does not define, in exec mode
    wrong-seq        answers the case with the next request's sequence number (session mode)
    no-hello         never says hello: reads its stdin and stays silent (session mode)
    misnamed         its hello names every format capitalized (`Text`), so the harness
                     knows none of them (session mode)
    orphan           starts a grandchild (`sleep 120`, which keeps the program's stdout
                     and stderr open) and writes its pid to DIR/orphan.pid, then answers
                     correctly: the harness must kill the whole process group (needs --dir)
    exit-then-no-hello
                     exits mid-session on the case, like `exit`, and the program started
                     again never says hello (session mode; needs --dir, where a file
                     marks that the first one said hello)
    wrong-offset     rejects an invalid input with the right class, the offset plus one,
                     and a `path` of "text", which the text format's cases never fix (so
                     the harness must not compare it, nor show it in the difference)
    stderr-crash     writes two lines to stderr, the last naming the case, then exits with
                     status 1 and nothing on stdout (a crash, as a traceback is)
    crash-always     every case, not only --case: writes a loader's error to stderr and
                     exits with status 4 (in session mode on each request, after hello);
                     with --dir, appends the case id to DIR/log first, so that a test can
                     count how many cases were run
    import-error     session mode: imports a module that does not exist before saying
                     hello, so Python exits 1 with ModuleNotFoundError on stderr
    missing-event    answers a liveness scenario (format liveness, operation run) with its
                     events but the last one
    late-event       answers a liveness scenario with its last event one second later
    overlap          every case, not only --case (exec mode; needs --dir): waits up to 2 s
                     for another process of the run to be running at the same time, and
                     appends to DIR/log how many it saw running at once, itself included;
                     then answers correctly. It shows whether --jobs runs cases in
                     parallel without depending on how fast anything is.

Python only (no packages): the vector files are in spec/vectors of the repository.
"""

import datetime
import decimal
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

VECTORS = pathlib.Path(__file__).resolve().parents[3] / "spec" / "vectors"
# The files of the suite, as its manifest lists them.
FILES = json.loads((VECTORS / "suite.json").read_text(encoding="utf-8"))["files"]


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
    if "events" in expect:
        # A liveness scenario: its result is the events.
        return "ok", {"result": {"events": expect["events"]}}
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
    elif fault in ("exit", "exit-then-no-hello"):
        sys.exit(0)
    elif fault == "signal":
        os.kill(os.getpid(), signal.SIGKILL)
    elif fault == "unsupported":
        return "skipped", {"reason": f"deliberately unsupported: {case['id']}"}
    elif fault == "errored":
        return "errored", {"message": f"deliberately errored on {case['id']}"}
    elif fault == "wrong-seq":
        return "wrong-seq", (kind, body)
    elif fault == "missing-event":
        body = {"result": {"events": body["result"]["events"][:-1]}}
    elif fault == "late-event":
        events = [dict(e) for e in body["result"]["events"]]
        events[-1]["at"] = one_second_later(events[-1]["at"])
        body = {"result": {"events": events}}
    elif fault == "wrong-offset":
        if kind == "rejected":
            body = dict(body, offset=body.get("offset", 0) + 1, path="text")
    elif fault == "stderr-crash":
        sys.stderr.write("oracle: starting the decoder\n")
        sys.stderr.write(f"oracle: deliberate crash on {case['id']}\n")
        sys.stderr.flush()
        os._exit(1)
    elif fault == "orphan":
        child = subprocess.Popen(["sleep", "120"])
        (DIRECTORY / "orphan.pid").write_text(str(child.pid))
    return kind, body


def one_second_later(at):
    """An RFC 3339 time in UTC (`...Z`) one second later, its fraction kept."""
    whole, _, fraction = at[:-1].partition(".")
    later = datetime.datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S") + datetime.timedelta(seconds=1)
    return later.strftime("%Y-%m-%dT%H:%M:%S") + ("." + fraction if fraction else "") + "Z"


def overlap(directory):
    """Marks this process as running in `directory` while it waits, up to 2 s, to see
    another one running; appends the most it saw running at once to `directory`/log.
    A process's mark is removed before it exits, so two marks at once are two processes
    running at once."""
    mine = directory / f"running.{os.getpid()}"
    mine.touch()
    try:
        most = 1
        deadline = time.monotonic() + 2.0
        while most < 2 and time.monotonic() < deadline:
            most = max(most, len(list(directory.glob("running.*"))))
            time.sleep(0.005)
        with open(directory / "log", "a", encoding="utf-8") as log:
            log.write(f"{most}\n")
    finally:
        mine.unlink()


def parse_args(argv):
    mode, rest = argv[0], argv[1:]
    options = {"--fault": None, "--case": None, "--dir": None}
    while len(rest) >= 2 and rest[0] in options:
        options[rest[0]] = rest[1]
        rest = rest[2:]
    directory = pathlib.Path(options["--dir"]) if options["--dir"] else None
    return mode, options["--fault"], options["--case"], directory, rest


def silent_start(fault, directory):
    """Whether this program must never say hello: always for `no-hello`; for
    `exit-then-no-hello`, when an earlier program of the run already said it."""
    if fault == "no-hello":
        return True
    if fault == "exit-then-no-hello":
        marker = directory / "said-hello"
        if marker.exists():
            return True
        marker.touch()
    return False


def crash_always(case_id, directory):
    """The fault `crash-always`: logs the case (with a --dir), then fails as a program
    that cannot load its codec does, on every case."""
    if directory is not None:
        with open(directory / "log", "a", encoding="utf-8") as log:
            log.write(f"{case_id}\n")
    sys.stderr.write("oracle: fatal: cannot load the codec (deliberately broken)\n")
    sys.stderr.flush()
    os._exit(4)


def session(cases, fault, target, directory):
    out = sys.stdout
    if fault == "import-error":
        import heartwire_codec_that_does_not_exist  # noqa: F401  (deliberately missing)
    silent = silent_start(fault, directory)
    for line in sys.stdin:
        message = json.loads(line)
        if silent:
            continue
        if message["type"] == "hello":
            protocol = 99 if fault == "bad-hello" else 1
            formats = {}
            for case in cases.values():
                fmt = case["id"].split(".")[0]
                if fault == "misnamed":
                    fmt = fmt.capitalize()
                ops = formats.setdefault(fmt, [])
                if case["operation"] not in ops:
                    ops.append(case["operation"])
            # A choice, so that the tests see the reports show choices.
            reply = {"type": "hello", "protocol": protocol, "name": "oracle",
                     "version": fault or "sound", "supports": formats,
                     "choices": {"answers": "read from the vector files"}}
            out.write(json.dumps(reply) + "\n")
        elif message["type"] == "request":
            case = cases[message["id"]]
            if fault == "crash-always":
                crash_always(case["id"], directory)
            answer = faulty_answer(case, fault) if case["id"] == target else expected_answer(case)
            if answer is None:
                out.write("this is not JSON\n")
            elif answer[0] == "flood":
                out.write("[" * (5 << 20) + "\n")
            else:
                seq = message["seq"]
                kind, body = answer
                if kind == "wrong-seq":
                    seq, (kind, body) = seq + 1, body
                if kind == "ok":
                    reply = {"type": "ok", "seq": seq, "output": body}
                else:
                    # rejected, skipped or errored: the body holds the type's members.
                    reply = dict(body, type=kind, seq=seq)
                out.write(dumps(reply) + "\n")
        else:
            return
        out.flush()


def exec_one(cases, fault, target, directory):
    json.loads(sys.stdin.read())
    case = cases[os.environ["HEARTWIRE_CASE_ID"]]
    if fault == "crash-always":
        crash_always(case["id"], directory)
    if fault == "overlap":
        overlap(directory)
    answer = faulty_answer(case, fault) if case["id"] == target else expected_answer(case)
    if answer is None:
        print("this is not JSON")
        return 0
    kind, body = answer
    if kind == "wrong-seq":
        kind, body = body  # there is no sequence number in exec mode
    if kind == "flood":
        print("[" * (5 << 20))
        return 0
    if kind == "skipped":
        return 3  # not supported; stdout means nothing then
    if kind == "errored":
        return 2  # an exit status the protocol does not define: an error
    print(dumps(body))
    return 0 if kind == "ok" else 1


DIRECTORY = None


def main():
    global DIRECTORY
    mode, fault, target, directory, _ = parse_args(sys.argv[1:])
    DIRECTORY = directory
    cases = load()
    if mode == "session":
        session(cases, fault, target, directory)
        return 0
    return exec_one(cases, fault, target, directory)


if __name__ == "__main__":
    sys.exit(main())

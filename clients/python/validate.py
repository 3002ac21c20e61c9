#!/usr/bin/env python3
"""Validate heartwire documents against the JSON Schemas of spec/schema/.

    python validate.py SCHEMA_NAME < document.json      # one document: exit 0 valid, 1 not
    python validate.py --lines < checks.jsonl           # {"key","schema","text"} per line

The second form answers one JSON line per input line, {"key": ..., "valid": true|false},
or "valid": null when the text is not JSON (Python's parser, with NaN, Infinity and
numbers beyond a double refused, as RFC 8259 and serde_json refuse them). It is how
tests/schema_agreement.rs compares Python's jsonschema with the Rust one.

Formats are checked (date-time needs rfc3339-validator, in requirements.txt).
"""

import argparse
import json
import pathlib
import sys

import jsonschema

import strict_json

HERE = pathlib.Path(__file__).resolve().parent
SCHEMAS = HERE.parent.parent / "spec" / "schema"


def parse(text):
    """The JSON value of text, or None when it is not JSON."""
    try:
        return strict_json.loads(text)
    except (ValueError, RecursionError):
        return None


def validators(folder):
    """One validator per schema file, formats checked."""
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    out = {}
    for path in sorted(pathlib.Path(folder).glob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator.check_schema(schema)
        name = path.name[: -len(".schema.json")]
        out[name] = jsonschema.Draft202012Validator(schema, format_checker=checker)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("schema", nargs="?", help="the schema's name: record, command, ...")
    parser.add_argument("--lines", action="store_true", help="read checks as JSON lines")
    parser.add_argument("--schemas", default=str(SCHEMAS), help="the folder of the schemas")
    args = parser.parse_args()
    found = validators(args.schemas)
    if "date-time" not in jsonschema.Draft202012Validator.FORMAT_CHECKER.checkers:
        sys.exit("validate.py: date-time is not checked: install rfc3339-validator")

    if args.lines:
        for line in sys.stdin:
            check = json.loads(line)
            value = parse(check["text"])
            valid = None if value is None else found[check["schema"]].is_valid(value)
            print(json.dumps({"key": check["key"], "valid": valid}))
        return 0

    if args.schema not in found:
        sys.exit(f"validate.py: no schema {args.schema!r}; there are {', '.join(found)}")
    value = parse(sys.stdin.read())
    if value is None:
        print("not JSON", file=sys.stderr)
        return 1
    errors = sorted(found[args.schema].iter_errors(value), key=lambda e: list(e.path))
    for error in errors:
        where = "/".join(str(p) for p in error.path) or "(document)"
        print(f"{where}: {error.message}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

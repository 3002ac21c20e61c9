#!/usr/bin/env python3
"""Pydantic v2 models generated from the schemas of spec/schema/ with
datamodel-code-generator, and a check of every document against them.

    python models.py generate DIR          # writes DIR/text.py, record.py, command.py, schedule.py
    python models.py check < checks.jsonl  # generates into a temporary folder, then checks

`check` reads one {"key","schema","text"} per line and answers one line per document,
{"key", "types": true|false|null, "same": true|false|null, "back": text|null}: whether
the generated model accepts the document (validated from the JSON text in pydantic's
strict mode, so that "10" is not taken for 10), and whether model_dump_json(by_alias,
exclude_unset) gives back the same JSON value, every member kept and no value changed
(numbers compared as exact decimals: 1e+308 is 10^308, but 0.0 is not 1e-401); null
where strict_json refuses the text (types), or the model refused it (same, back).
tests/clients.rs runs it on every document of the conformance vectors.

Two things the schemas say are given to the models differently:
- the `if`/`then` conditions on values (the days of each month in a decco rate, the
  argument counts of known commands) are left out of what the generator reads: it
  cannot write them as types, and turns them into an empty model that breaks the union
  it stands in (every sury rate was refused);
- a `Timestamp`, a `DeccoOther` and a `SuryOther` (a command of an unknown name in the
  decco and sury forms) are the types of overrides.py (--type-overrides): a timestamp the
  text kept as written, checked against the RFC 3339 grammar and for a date that exists
  (2025-02-29 is refused), the open tuple a list whose first item must be a command name,
  the sury object one whose members are TAG, _0, _1, ...; the generator would write a
  str without the date check, a list[Any] and a model allowing any extra member.
"""

import decimal
import importlib.util
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import strict_json

HERE = pathlib.Path(__file__).resolve().parent
SCHEMAS = HERE.parent.parent / "spec" / "schema"

# The four formats, by schema name, with the name of the root model.
FORMATS = {
    "text": "TextMessage",
    "record": "LivenessRecord",
    "command": "CommandEnvelope",
    "schedule": "ReventlessSchedule",
}

# How the models are generated: pydantic v2, branches named by their titles, literals
# for constants, timestamps and UUIDs kept as the strings they are (a datetime would
# write +00:00 back as Z and drop digits past the microsecond), constraints in Field().
OPTIONS = [
    "--input-file-type", "jsonschema",
    "--output-model-type", "pydantic_v2.BaseModel",
    "--use-title-as-name",
    "--enum-field-as-literal", "all",
    "--type-mappings", "string+date-time=string", "string+uuid=string",
    "--field-constraints",
    "--strict-nullable",
    "--use-missing-sentinel",
    "--target-pydantic-version", "2.14",
    "--formatters", "builtin",
    "--disable-timestamp",
    "--type-overrides",
    json.dumps({name: f"overrides.{name}" for name in ("Timestamp", "DeccoOther", "SuryOther")}),
]


def without_conditions(schema):
    """The schema without its `allOf`s of `if`/`then` conditions on values."""
    if isinstance(schema, list):
        return [without_conditions(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    return {
        key: without_conditions(value)
        for key, value in schema.items()
        if not (key == "allOf" and all(isinstance(s, dict) and "if" in s for s in value))
    }


def generate(out):
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    codegen = pathlib.Path(sys.executable).parent / "datamodel-codegen"
    env = dict(os.environ, PYTHONPATH=str(HERE))
    for name, root in FORMATS.items():
        schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
        source = out / f"{name}.schema.json"
        source.write_text(json.dumps(without_conditions(schema)), encoding="utf-8")
        subprocess.run(
            [str(codegen), "--input", str(source),
             "--output", str(out / f"{name}.py"), "--class-name", root, *OPTIONS],
            check=True,
            stderr=subprocess.DEVNULL,
            env=env,
        )


def load(out):
    sys.path.insert(0, str(HERE))  # overrides.py
    models = {}
    for name, root in FORMATS.items():
        spec = importlib.util.spec_from_file_location(f"heartwire_{name}", out / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        models[name] = getattr(module, root)
    return models


def check(models, key, schema, text):
    none = {"key": key, "types": None, "same": None, "back": None}
    try:
        strict_json.loads(text)
    except (ValueError, RecursionError):
        return none
    model = models.get(schema)
    if model is None:
        return none
    try:
        typed = model.model_validate_json(text, strict=True)
    except Exception:  # pydantic.ValidationError, or a pattern the regex engine refuses
        return {"key": key, "types": False, "same": None, "back": None}
    back = typed.model_dump_json(by_alias=True, exclude_unset=True)
    return {"key": key, "types": True, "same": same(exact(text), exact(back)), "back": back}


def exact(text):
    """The JSON value of text with its numbers as exact decimals."""
    return json.loads(text, parse_float=decimal.Decimal, parse_int=decimal.Decimal)


def same(a, b):
    """Equal JSON values, numbers (decimals) by value but never a bool for a number."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def main():
    if sys.argv[1:2] == ["generate"] and len(sys.argv) == 3:
        generate(sys.argv[2])
        return 0
    if sys.argv[1:] != ["check"]:
        sys.exit(__doc__)
    with tempfile.TemporaryDirectory() as out:
        generate(out)
        models = load(pathlib.Path(out))
        for line in sys.stdin:
            c = json.loads(line)
            print(json.dumps(check(models, c["key"], c["schema"], c["text"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())

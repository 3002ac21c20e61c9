#!/usr/bin/env python3
"""Pydantic v2 models generated from the schemas of spec/schema/ with
datamodel-code-generator, and a check of every document against them.

    python models.py generate DIR          # writes DIR/text.py, record.py, command.py, schedule.py
    python models.py check < checks.jsonl  # generates into a temporary folder, then checks

`check` reads one {"key","schema","text"} per line and answers one line per document,
{"key", "types": true|false|null, "same": true|false|null}: whether the generated model
accepts the document (refused first when strict_json refuses it, then validated from
the JSON text in pydantic's strict mode, so that "10" is not taken for 10), and whether model_dump(by_alias, exclude_unset) gives
back the same JSON value, every member kept and no value changed; null where the text
is not JSON (types) or the model refused it (same). tests/clients.rs runs it on every
document of the conformance vectors.
"""

import importlib.util
import json
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
    "--formatters", "builtin",
    "--disable-timestamp",
]


def generate(out):
    out = pathlib.Path(out)
    out.mkdir(parents=True, exist_ok=True)
    codegen = pathlib.Path(sys.executable).parent / "datamodel-codegen"
    for name, root in FORMATS.items():
        subprocess.run(
            [str(codegen), "--input", str(SCHEMAS / f"{name}.schema.json"),
             "--output", str(out / f"{name}.py"), "--class-name", root, *OPTIONS],
            check=True,
            stderr=subprocess.DEVNULL,
        )


def load(out):
    models = {}
    for name, root in FORMATS.items():
        spec = importlib.util.spec_from_file_location(f"heartwire_{name}", out / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        models[name] = getattr(module, root)
    return models


def check(models, key, schema, text):
    try:
        value = strict_json.loads(text)
    except (ValueError, RecursionError):
        return {"key": key, "types": None, "same": None}
    model = models.get(schema)
    if model is None:
        return {"key": key, "types": None, "same": None}
    try:
        typed = model.model_validate_json(text, strict=True)
    except Exception:  # pydantic.ValidationError, or a pattern the regex engine refuses
        return {"key": key, "types": False, "same": None}
    back = typed.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return {"key": key, "types": True, "same": same(value, back)}


def same(a, b):
    """Equal JSON values, numbers by value but never a bool for a number."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) in (int, float) and type(b) in (int, float) and a == b or a == b


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

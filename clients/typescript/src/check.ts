// Checks documents with what a TypeScript user generates from spec/schema/: ajv in strict
// mode with ajv-formats (the validator), and quicktype's Convert (the types).
//
//     node dist/check.js < checks.jsonl
//
// Reads one {"key","schema","text"} per line and answers one line per document:
// {"key", "ajv": true|false|null, "types": true|false|null, "same": true|false|null}:
// - ajv: the schema's verdict (null when JSON.parse refuses the text);
// - types: whether quicktype's Convert.to<Type> accepts the text (null for schemas that
//   have no quicktype types);
// - same: whether Convert.<type>ToJson writes back the same JSON value, every member
//   kept and no value changed (null when Convert refused it).
// tests/clients.rs runs it on every document of the conformance vectors.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";

import * as command from "./generated/quicktype/command.js";
import * as record from "./generated/quicktype/record.js";
import * as schedule from "./generated/quicktype/schedule.js";
import * as text from "./generated/quicktype/text.js";

// ajv-formats is CommonJS: its function is the default export's default.
const addFormats = (addFormatsModule as unknown as { default: (ajv: Ajv2020) => Ajv2020 }).default;

const here = dirname(fileURLToPath(import.meta.url));
const schemas = join(here, "..", "..", "..", "spec", "schema");

/** An ajv that compiles the schemas in strict mode and checks formats (date-time: the
 * date must exist). Open tuples (a decco command's any number of arguments) are all
 * that `strictTuples` would refuse; it is the one strict check turned off. */
export function validator(): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, strictTuples: false, allErrors: true });
  addFormats(ajv);
  return ajv;
}

const convert: Record<string, { to: (json: string) => unknown; back: (value: never) => string }> = {
  text: { to: text.Convert.toTextMessage, back: text.Convert.textMessageToJson },
  record: { to: record.Convert.toLivenessRecord, back: record.Convert.livenessRecordToJson },
  command: { to: command.Convert.toCommandEnvelope, back: command.Convert.commandEnvelopeToJson },
  schedule: { to: schedule.Convert.toSchedule, back: schedule.Convert.scheduleToJson },
};

/** JSON values equal as values: objects by their members in any order. */
function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => same(x, b[i]));
  }
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return (
      ka.length === kb.length &&
      ka.every((k) => Object.hasOwn(b, k) && same((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
    );
  }
  return false;
}

const ajv = validator();
const compiled = new Map<string, ReturnType<Ajv2020["compile"]>>();
function validate(name: string) {
  let v = compiled.get(name);
  if (!v) {
    v = ajv.compile(JSON.parse(readFileSync(join(schemas, `${name}.schema.json`), "utf8")));
    compiled.set(name, v);
  }
  return v;
}

const lines = readFileSync(0, "utf8").split("\n").filter((l) => l.length > 0);
const out: string[] = [];
for (const line of lines) {
  const check = JSON.parse(line) as { key: string; schema: string; text: string };
  let value: unknown;
  let ajvVerdict: boolean | null = null;
  try {
    value = JSON.parse(check.text);
    ajvVerdict = validate(check.schema)(value) as boolean;
  } catch {
    value = undefined;
  }
  let types: boolean | null = null;
  let kept: boolean | null = null;
  const c = convert[check.schema];
  if (c) {
    try {
      const typed = c.to(check.text);
      types = true;
      kept = same(value, JSON.parse(c.back(typed as never)));
    } catch {
      types = false;
    }
  }
  out.push(JSON.stringify({ key: check.key, ajv: ajvVerdict, types, same: kept }));
}
process.stdout.write(out.join("\n") + "\n");

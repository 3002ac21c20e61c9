// Checks documents with what a TypeScript user generates from spec/schema/: ajv in strict
// mode with ajv-formats (the validator), and quicktype's Convert (the types).
//
//     node dist/check.js < checks.jsonl
//
// Reads one {"key","schema","text"} per line and answers one line per document:
// {"key", "ajv": true|false|null, "types": true|false|null, "same": true|false|null,
// "back": text|null}:
// - ajv: the schema's verdict; null when the text is not JSON to `strictParse`, which is
//   JSON.parse refusing any number beyond the range of a double (1e400, which JSON.parse
//   makes Infinity; spec/json.md §5), as strict_json.py does for Python;
// - types: whether quicktype's Convert.to<Type> accepts the text (null for schemas that
//   have no quicktype types, or text strictParse refuses);
// - same: whether Convert.<type>ToJson writes back (`back`) the same JSON value, every
//   member kept and no value changed, numbers compared as exact decimals (1e+308 is
//   10^308, but 0 is not 1e-401 and 18446744073709552000 is not 18446744073709551615);
//   null when Convert refused it.
// tests/schema_agreement.rs runs it for ajv's verdicts, tests/clients.rs for quicktype's,
// on every document of the conformance vectors.
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

/** JSON.parse, but refusing numbers beyond the range of a double (RangeError). */
export function strictParse(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) => {
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw new RangeError("a number beyond the range of a double");
    }
    return value;
  });
}

/** A JSON number's text as an exact decimal, the same for the same value:
 * `<sign><digits without leading or trailing zeros>e<exponent>` (`1e2`, `100` and
 * `100.0` are all `1e2`; every zero is `0`). */
function decimal(number: string): string {
  const m = /^(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/.exec(number);
  if (!m) throw new Error(`not a JSON number: ${number}`);
  const [, sign = "", whole = "", fraction = "", exponent = "0"] = m;
  let digits = (whole + fraction).replace(/^0+/, "");
  let exp = Number(exponent) - fraction.length;
  if (digits === "") return "0";
  const trailing = digits.length - digits.replace(/0+$/, "").length;
  digits = digits.slice(0, digits.length - trailing);
  exp += trailing;
  return `${sign}${digits}e${exp}`;
}

/** The JSON value of a JSON text with its numbers as exact decimals, each the string
 * "\u0000" + decimal(text): the numbers' texts are taken before JSON.parse rounds them. */
function exact(text: string): unknown {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
    } else if (c === "-" || (c >= "0" && c <= "9")) {
      const m = /^-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/.exec(text.slice(i));
      const token = (m as RegExpExecArray)[0];
      out += JSON.stringify("\u0000" + decimal(token));
      i += token.length;
    } else {
      out += c;
      i += 1;
    }
  }
  return JSON.parse(out);
}

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
  try {
    value = strictParse(check.text);
  } catch {
    out.push(JSON.stringify({ key: check.key, ajv: null, types: null, same: null, back: null }));
    continue;
  }
  const ajvVerdict = validate(check.schema)(value) as boolean;
  let types: boolean | null = null;
  let kept: boolean | null = null;
  let back: string | null = null;
  const c = convert[check.schema];
  if (c) {
    let typed: unknown;
    try {
      typed = c.to(check.text);
      types = true;
    } catch {
      types = false;
    }
    if (types) {
      back = c.back(typed as never);
      kept = same(exact(check.text), exact(back));
    }
  }
  out.push(JSON.stringify({ key: check.key, ajv: ajvVerdict, types, same: kept, back }));
}
process.stdout.write(out.join("\n") + "\n");

// Generates TypeScript from spec/schema/, so the types follow the schemas (and so the
// spec), in two ways:
// - src/generated/<name>.ts from every <name>.schema.json with json-schema-to-typescript:
//   types only, whose unions stay discriminated (a text message's `warmup` exists only
//   when `signal` is `start`); the typed client (client.ts) is written on them.
// - src/generated/quicktype/<name>.ts from the four formats' schemas with quicktype:
//   types and a `Convert` class that parses a document and checks it against the types
//   at run time (check.ts). quicktype's unions hold at most one object type, so the
//   branches of a union of objects become one interface with the branches' members
//   optional; what they leave out is ajv's to check.
// Run by `npm run build`; the generated files are not committed.
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { compile } from "json-schema-to-typescript";
import { FetchingJSONSchemaStore, InputData, JSONSchemaInput, quicktype } from "quicktype-core";

const here = dirname(fileURLToPath(import.meta.url));
const schemas = join(here, "..", "..", "spec", "schema");
const out = join(here, "src", "generated");
await mkdir(out, { recursive: true });

const files = (await readdir(schemas)).filter((f) => f.endsWith(".schema.json")).sort();
if (files.length === 0) throw new Error(`no schemas in ${schemas}`);
// json-schema-to-typescript reads tuples in the draft-07 spelling and has no types for
// conditionals, so each schema is adapted on the way in: `prefixItems` becomes `items`
// (with `additionalItems` for what follows), and `if`/`then` constraints on values
// (dates that exist, argument counts of known commands), which TypeScript cannot say,
// are left to the validators. `unevaluatedProperties: false` over a `oneOf` (the text
// form: exactly the members of its signal) becomes `additionalProperties: false` on the
// object and on each alternative, which TypeScript's excess property checks then apply
// per signal. Nothing else changes.
function forTypeScript(schema) {
  if (Array.isArray(schema)) return schema.map(forTypeScript);
  if (schema === null || typeof schema !== "object") return schema;
  if (schema.unevaluatedProperties === false) {
    const { unevaluatedProperties: _, ...rest } = schema;
    const closed = (s) => ({ ...s, additionalProperties: false });
    return forTypeScript({
      ...closed(rest),
      ...(rest.oneOf ? { oneOf: rest.oneOf.map(closed) } : {}),
      ...(rest.anyOf ? { anyOf: rest.anyOf.map(closed) } : {}),
    });
  }
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === "allOf" && value.every((s) => "if" in s)) continue;
    if (key === "prefixItems") {
      out.items = forTypeScript(value);
      if ("items" in schema) out.additionalItems = forTypeScript(schema.items);
      continue;
    }
    if (key === "items" && "prefixItems" in schema) continue;
    out[key] = forTypeScript(value);
  }
  return out;
}

for (const file of files) {
  const schema = forTypeScript(JSON.parse(await readFile(join(schemas, file), "utf8")));
  const name = file.slice(0, -".schema.json".length);
  const ts = await compile(schema, schema.title ?? name, {
    bannerComment: `/* Generated from spec/schema/${file} by generate.mjs: do not edit. */`,
    // As in JSON Schema: members a schema does not name are allowed unless it says
    // otherwise (a record's extra members).
    additionalProperties: true,
    strictIndexSignatures: true,
    format: false,
    declareExternallyReferenced: true,
  });
  await writeFile(join(out, `${name}.ts`), ts);
  console.log(`src/generated/${name}.ts`);
}

// quicktype, for the four formats: the names are the types' and Convert's
// (Convert.toLivenessRecord, Convert.livenessRecordToJson, ...).
const FORMATS = {
  text: "TextMessage",
  record: "LivenessRecord",
  command: "CommandEnvelope",
  schedule: "Schedule",
};
await mkdir(join(out, "quicktype"), { recursive: true });
for (const [name, typeName] of Object.entries(FORMATS)) {
  const file = `${name}.schema.json`;
  // The schemas are whole in themselves (no $ref to another file): nothing is fetched.
  const input = new JSONSchemaInput(new FetchingJSONSchemaStore());
  await input.addSource({ name: typeName, schema: await readFile(join(schemas, file), "utf8") });
  const inputData = new InputData();
  inputData.addInput(input);
  const result = await quicktype({
    inputData,
    lang: "typescript",
    // Timestamps stay strings: a Date would write 2025-01-16T08:30:00.123456+00:00
    // back as 2025-01-16T08:30:00.123Z.
    inferDateTimes: false,
    rendererOptions: { "runtime-typecheck": "true", "prefer-unions": "true" },
  });
  const banner = `/* Generated from spec/schema/${file} by generate.mjs with quicktype: do not edit. */\n// @ts-nocheck -- quicktype's run-time checks are written for a laxer compiler setting\n`;
  await writeFile(join(out, "quicktype", `${name}.ts`), banner + result.lines.join("\n") + "\n");
  console.log(`src/generated/quicktype/${name}.ts`);
}

// Generates src/generated/<name>.ts from every spec/schema/<name>.schema.json with
// json-schema-to-typescript, so the types follow the schemas (and so the spec).
// Run by `npm run build`; the generated files are not committed.
import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { compile } from "json-schema-to-typescript";

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

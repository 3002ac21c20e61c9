//! The JSON Schemas of `spec/schema/` against the conformance vectors, with three
//! independent validators: the Rust `jsonschema` crate, Python's `jsonschema` package and
//! ajv (JavaScript, strict mode, with ajv-formats), all with format checks on.
//!
//! The vector files themselves, the suite manifest and the liveness scenarios must
//! validate against the `vectors`, `suite` and `liveness-vectors` schemas. From every
//! vector a case gives the documents it holds: the input document (or, for the text
//! format's encode cases, the JSON form given), the `decoded` canonical form and the
//! `encoded` canonical document. Each is spec-valid or not by the case. Then, for each
//! validator:
//!
//! - every spec-valid document validates against its format's schema;
//! - every spec-invalid document is rejected, unless its error class or its case id is
//!   listed in `spec/schema/inexpressible.json` with the reason the schema cannot say it,
//!   or listed there for that validator (`tools.ajv`: JavaScript's numbers);
//! - every listed case and class is still accepted by at least one validator, and every
//!   case listed for ajv by ajv, so the list cannot rot.
//!
//! The validators give the same verdict on every document they can parse, but for the
//! cases listed for one of them. (Documents that are not JSON to a parser, such as invalid
//! UTF-8 or `1e999`, have no verdict: a schema applies to a parsed value.)
//!
//! Besides, the `$defs` of all the schemas share one namespace: a name means the same
//! definition in every file, so that they bundle into one document.

#[path = "schema_documents.rs"]
mod schema_documents;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use heartwire_tests::{repo_root, schema_validator};
use schema_documents::{
    Check, Inexpressible, Tool, answers, checks, inexpressible, python, typescript,
};
use serde_json::Value;

/// A validator's verdict on one document: `None` when it could not parse it as JSON.
type Verdicts = BTreeMap<String, Option<bool>>;

/// The Rust validator's verdicts.
fn rust_verdicts(checks: &[Check]) -> Verdicts {
    let validators: BTreeMap<&str, jsonschema::Validator> = heartwire_schema::names()
        .map(|name| (name, schema_validator(name)))
        .collect();
    checks
        .iter()
        .map(|check| {
            let verdict = serde_json::from_str::<Value>(&check.text)
                .ok()
                .map(|value| validators[check.schema].is_valid(&value));
            (check.key.clone(), verdict)
        })
        .collect()
}

/// Python's verdicts, from `clients/python/validate.py --lines`.
fn python_verdicts(checks: &[Check]) -> Verdicts {
    let answers = answers(
        Command::new(python())
            .arg(repo_root().join("clients/python/validate.py"))
            .arg("--lines")
            .arg("--schemas")
            .arg(repo_root().join("spec/schema")),
        checks,
    );
    answers
        .into_iter()
        .map(|(key, answer)| (key, answer["valid"].as_bool()))
        .collect()
}

/// ajv's verdicts (strict mode, ajv-formats), from `clients/typescript/dist/check.js`.
fn ajv_verdicts(checks: &[Check]) -> Verdicts {
    let answers = answers(
        Command::new("node").arg(typescript().join("dist/check.js")),
        checks,
    );
    answers
        .into_iter()
        .map(|(key, answer)| (key, answer["ajv"].as_bool()))
        .collect()
}

/// The rules a validator's verdicts must keep, with what is listed for it as `tool`; the
/// keys of the listed exceptions it uses (the tool's own prefixed with `<tool>:`).
fn assert_agrees(
    name: &str,
    checks: &[Check],
    verdicts: &Verdicts,
    listed: &Inexpressible,
    tool: Option<(&str, &Tool)>,
) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    let mut wrong = Vec::new();
    let (mut valid_accepted, mut valid_count, mut invalid_rejected, mut invalid_count) =
        (0, 0, 0, 0);
    for check in checks {
        let Some(Some(valid)) = verdicts.get(&check.key) else {
            continue;
        };
        if check.error.is_none() {
            valid_count += 1;
            valid_accepted += usize::from(*valid);
        } else {
            invalid_count += 1;
            invalid_rejected += usize::from(!*valid);
        }
        let case_id = check.key.split('#').next().unwrap_or(&check.key);
        match (&check.error, valid) {
            (None, true) | (Some(_), false) => {}
            (None, false) => wrong.push(format!(
                "{}: spec-valid, rejected by the {} schema",
                check.key, check.schema
            )),
            (Some(class), true) => {
                if listed.cases.contains_key(case_id) {
                    used.insert(case_id.to_owned());
                } else if listed.classes.contains_key(class) {
                    used.insert(class.clone());
                } else if let Some((tool, own)) = tool
                    && own.cases.contains_key(case_id)
                {
                    used.insert(format!("{tool}:{case_id}"));
                } else if let Some((tool, own)) = tool
                    && own.classes.contains_key(class)
                {
                    used.insert(format!("{tool}:{class}"));
                } else {
                    wrong.push(format!(
                        "{}: spec-invalid ({class}), accepted by the {} schema: {}",
                        check.key,
                        check.schema,
                        check.text.chars().take(160).collect::<String>()
                    ));
                }
            }
        }
    }
    eprintln!(
        "{name}: spec-valid {valid_accepted}/{valid_count} accepted, \
         spec-invalid {invalid_rejected}/{invalid_count} rejected"
    );
    assert!(
        wrong.is_empty(),
        "{name}: {} disagreements:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    used
}

#[test]
fn schemas_agree_with_the_vectors_in_rust_python_and_ajv() {
    let checks = checks();
    let listed = inexpressible();
    assert!(
        checks.len() > 500,
        "only {} documents found in the vectors",
        checks.len()
    );
    let ajv_listed = listed
        .tools
        .get("ajv")
        .expect("inexpressible.json lists what ajv differs on (tools.ajv)");

    let rust = rust_verdicts(&checks);
    let python = python_verdicts(&checks);
    let ajv = ajv_verdicts(&checks);

    let mut used = assert_agrees("rust jsonschema", &checks, &rust, &listed, None);
    used.extend(assert_agrees(
        "python jsonschema",
        &checks,
        &python,
        &listed,
        None,
    ));
    used.extend(assert_agrees(
        "ajv",
        &checks,
        &ajv,
        &listed,
        Some(("ajv", ajv_listed)),
    ));

    // One verdict per document all could parse, but for the cases listed for ajv.
    let differ: Vec<_> = checks
        .iter()
        .filter_map(|check| {
            let case_id = check.key.split('#').next().unwrap_or(&check.key);
            let ajv_own = ajv_listed.cases.contains_key(case_id)
                || check
                    .error
                    .as_ref()
                    .is_some_and(|class| ajv_listed.classes.contains_key(class));
            let r = rust[&check.key];
            let p = python.get(&check.key).copied().flatten();
            let a = ajv.get(&check.key).copied().flatten().filter(|_| !ajv_own);
            let verdicts: BTreeSet<bool> = [r, p, a].into_iter().flatten().collect();
            (verdicts.len() > 1)
                .then(|| format!("{}: rust {r:?}, python {p:?}, ajv {a:?}", check.key))
        })
        .collect();
    assert!(
        differ.is_empty(),
        "the validators differ:\n{}",
        differ.join("\n")
    );

    // Nothing listed that no longer needs listing.
    let stale: Vec<_> = listed
        .cases
        .keys()
        .chain(listed.classes.keys())
        .cloned()
        .chain(
            ajv_listed
                .cases
                .keys()
                .chain(ajv_listed.classes.keys())
                .map(|key| format!("ajv:{key}")),
        )
        .filter(|key| !used.contains(key))
        .collect();
    assert!(
        stale.is_empty(),
        "listed in spec/schema/inexpressible.json but rejected by the schemas (or not in the vectors): {stale:?}"
    );
    assert!(
        ajv_listed.changed.is_empty(),
        "tools.ajv.changed: ajv gives no values back"
    );

    let parsed = rust.values().filter(|v| v.is_some()).count();
    eprintln!("{} documents, {parsed} parsed by serde_json", checks.len());
}

/// The `$defs` of all the schemas share one namespace (`spec/schema/README.md`): a name
/// means the same definition in every file that has it, so that the schemas bundle into
/// one document (an AsyncAPI `components` section) without a collision.
#[test]
fn defs_mean_the_same_in_every_schema() {
    let mut seen: BTreeMap<String, (String, Value)> = BTreeMap::new();
    let mut shared = 0;
    let mut collisions = Vec::new();
    let mut files: Vec<String> = std::fs::read_dir(repo_root().join("spec/schema"))
        .expect("spec/schema")
        .map(|entry| {
            entry
                .expect("a folder entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name.ends_with(".schema.json"))
        .collect();
    files.sort();
    assert!(files.len() >= 11, "only {files:?} in spec/schema");
    for name in &files {
        let path = repo_root().join("spec/schema").join(name);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let schema: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let Some(defs) = schema.get("$defs").and_then(Value::as_object) else {
            continue;
        };
        for (def, value) in defs {
            match seen.get(def) {
                Some((first, before)) if before != value => {
                    collisions.push(format!("{def}: {first} and {name} differ"));
                }
                Some(_) => shared += 1,
                None => {
                    seen.insert(def.clone(), (name.clone(), value.clone()));
                }
            }
        }
    }
    assert!(
        collisions.is_empty(),
        "$defs of the same name that differ:\n{}",
        collisions.join("\n")
    );
    assert!(
        shared > 0,
        "no $defs name is shared: is the test reading the schemas?"
    );
    eprintln!("{} $defs names, {shared} repeats of one", seen.len());
}

//! A case id never disappears without a tombstone (`spec/vectors/README.md`).
//!
//! `spec/vectors/ids.txt` lists every case id ever released, one per line, sorted. This
//! test checks it against the suite as it stands: every live id of every file the
//! manifest (`suite.json`) names is listed (so a new id is added to the list in the
//! commit that adds its case), and every listed id is either live or has a tombstone in
//! the manifest (so a case cannot be removed, or renamed, without retiring its id). The
//! suite's version has an entry in `spec/vectors/CHANGELOG.md`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../spec/vectors")
}

fn read(name: &str) -> String {
    let path = vectors_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

fn json(name: &str) -> Value {
    serde_json::from_str(&read(name)).unwrap_or_else(|e| panic!("{name} does not parse: {e}"))
}

/// The suite as it stands: the live ids of every file the manifest names, and the
/// tombstoned ids.
struct Suite {
    version: String,
    live: Vec<String>,
    tombstones: BTreeSet<String>,
}

fn suite() -> Suite {
    let manifest = json("suite.json");
    let files = manifest["files"]
        .as_array()
        .expect("suite.json lists its files");
    let mut live = Vec::new();
    for file in files {
        let name = file.as_str().expect("a file name");
        let cases = json(name)["cases"].as_array().cloned().unwrap_or_default();
        assert!(!cases.is_empty(), "{name} has no cases");
        for case in cases {
            let id = case["id"]
                .as_str()
                .unwrap_or_else(|| panic!("a case of {name} has no id"));
            live.push(id.to_owned());
        }
    }
    let tombstones = manifest["tombstones"]
        .as_array()
        .expect("suite.json has a tombstones list")
        .iter()
        .map(|t| {
            t["id"]
                .as_str()
                .expect("a tombstone names its id")
                .to_owned()
        })
        .collect();
    Suite {
        version: manifest["version"]
            .as_str()
            .expect("suite.json has a version")
            .to_owned(),
        live,
        tombstones,
    }
}

/// The ids of `ids.txt`, in file order.
fn listed(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

/// What is wrong with `listed` (the lines of ids.txt) for a suite whose live ids are
/// `live` and whose tombstones are `tombstones`; empty when nothing is.
fn problems(listed: &[String], live: &[String], tombstones: &BTreeSet<String>) -> Vec<String> {
    let mut problems = Vec::new();
    let list: BTreeSet<&String> = listed.iter().collect();
    let live_set: BTreeSet<&String> = live.iter().collect();
    if listed.iter().any(|id| id.trim() != id || id.is_empty()) {
        problems.push("ids.txt has an empty line or white space around an id".to_owned());
    }
    if listed.windows(2).any(|w| w[0] >= w[1]) {
        problems.push("ids.txt is not sorted (byte order), or lists an id twice".to_owned());
    }
    if live_set.len() != live.len() {
        let mut seen = BTreeSet::new();
        let twice: Vec<&String> = live.iter().filter(|id| !seen.insert(*id)).collect();
        problems.push(format!("two live cases have the same id: {twice:?}"));
    }
    let unlisted: Vec<&&String> = live_set.iter().filter(|id| !list.contains(**id)).collect();
    if !unlisted.is_empty() {
        problems.push(format!(
            "live ids missing from ids.txt (add them, sorted): {unlisted:?}"
        ));
    }
    let vanished: Vec<&&String> = list
        .iter()
        .filter(|id| !live_set.contains(**id) && !tombstones.contains(**id))
        .collect();
    if !vanished.is_empty() {
        problems.push(format!(
            "ids released before that are neither in the suite nor tombstoned in suite.json \
             (put the case back, or retire the id: a tombstone with the version that retires \
             it and why, and a new major version): {vanished:?}"
        ));
    }
    let unlisted_tombstones: Vec<&String> =
        tombstones.iter().filter(|id| !list.contains(id)).collect();
    if !unlisted_tombstones.is_empty() {
        problems.push(format!(
            "tombstoned ids missing from ids.txt (it lists every id ever released): \
             {unlisted_tombstones:?}"
        ));
    }
    let revived: Vec<&String> = tombstones
        .iter()
        .filter(|id| live_set.contains(id))
        .collect();
    if !revived.is_empty() {
        problems.push(format!("tombstoned ids given to live cases: {revived:?}"));
    }
    problems
}

#[test]
fn no_id_disappears_without_a_tombstone() {
    let suite = suite();
    let problems = problems(&listed(&read("ids.txt")), &suite.live, &suite.tombstones);
    assert!(
        problems.is_empty(),
        "spec/vectors/ids.txt against suite {}:\n{}",
        suite.version,
        problems.join("\n")
    );
}

#[test]
fn the_suite_version_has_a_changelog_entry() {
    let suite = suite();
    let changelog = read("CHANGELOG.md");
    let heading = format!("## {}", suite.version);
    assert!(
        changelog
            .lines()
            .any(|l| l == heading || l.starts_with(&format!("{heading} "))),
        "spec/vectors/CHANGELOG.md has no heading `{heading}` for the suite's version"
    );
}

/// The check itself fails where it should: an id removed from the suite, an id added
/// without being listed, a tombstoned id, an unsorted list.
#[test]
fn the_check_finds_what_it_should() {
    let ids = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let none = BTreeSet::new();
    let listed = ids(&["a.b.c", "a.b.d", "a.b.e"]);
    assert!(problems(&listed, &ids(&["a.b.e", "a.b.c", "a.b.d"]), &none).is_empty());

    let removed = problems(&listed, &ids(&["a.b.c", "a.b.e"]), &none);
    assert_eq!(removed.len(), 1, "{removed:?}");
    assert!(
        removed[0].contains("neither in the suite nor tombstoned") && removed[0].contains("a.b.d")
    );

    let retired: BTreeSet<String> = ["a.b.d".to_owned()].into();
    assert!(problems(&listed, &ids(&["a.b.c", "a.b.e"]), &retired).is_empty());
    let revived = problems(&listed, &ids(&["a.b.c", "a.b.d", "a.b.e"]), &retired);
    assert!(
        revived.iter().any(|p| p.contains("given to live cases")),
        "{revived:?}"
    );

    let added = problems(&listed, &ids(&["a.b.c", "a.b.d", "a.b.e", "a.b.f"]), &none);
    assert!(
        added
            .iter()
            .any(|p| p.contains("missing from ids.txt") && p.contains("a.b.f"))
    );

    let unsorted = problems(&ids(&["a.b.d", "a.b.c", "a.b.e"]), &listed, &none);
    assert!(
        unsorted.iter().any(|p| p.contains("not sorted")),
        "{unsorted:?}"
    );
    let twice = problems(&ids(&["a.b.c", "a.b.c", "a.b.d", "a.b.e"]), &listed, &none);
    assert!(twice.iter().any(|p| p.contains("twice")), "{twice:?}");
}

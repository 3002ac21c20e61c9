//! `GET /status/<name>` of `heartwire monitor` (spec/http.md §5.11): a process's entry
//! with its latest pings, beats and state changes, the durations of its runs, kept
//! across a restart with `--snapshot` (a clean one, and kill -9 through the journal).

mod web;

use std::time::Duration;

use serde_json::Value;
use web::{Monitor, eventually, scratch};

/// The entries of a history that are pings.
fn pings(process: &Value) -> Vec<&Value> {
    process["history"]
        .as_array()
        .expect("a history")
        .iter()
        .filter(|h| h.get("ping").is_some())
        .collect()
}

#[test]
fn the_last_pings_changes_and_runs_of_a_process() {
    let m = Monitor::start(&[]);
    m.ok("GET", "/ping/nightly/start?rid=run-1", None);
    std::thread::sleep(Duration::from_millis(120));
    m.ok("GET", "/ping/nightly?rid=run-1", None);
    // Paced under the engine's 16 observations of a process a second.
    for _ in 0..25 {
        m.ok("POST", "/ping/chatty/log", Some(""));
        std::thread::sleep(Duration::from_millis(70));
    }
    m.ok("GET", "/ping/chatty/start", None);
    m.ok("GET", "/ping/chatty/3", None);
    m.ok("POST", "/beat", Some("heartbeat.api beat/30\n"));

    // The changes come from the engine's events, taken by the monitor's loop.
    let nightly = eventually(
        "nightly alive in its history",
        Duration::from_secs(5),
        || {
            let p = m.json("/status/nightly");
            p["history"]
                .as_array()?
                .iter()
                .any(|h| h["new"] == "alive")
                .then_some(p)
        },
    );
    assert_eq!(nightly["state"], "alive");
    assert_eq!(nightly["source"], "ping");
    let runs = nightly["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1, "{nightly}");
    let duration = runs[0]["duration"].as_f64().expect("a duration");
    assert!((0.1..10.0).contains(&duration), "{duration}");
    assert_eq!(runs[0]["rid"], "run-1");
    assert_eq!(runs[0]["outcome"], "success");

    // The last 20 pings: the oldest logs are gone, the failed run is there.
    let chatty = eventually("chatty failed", Duration::from_secs(5), || {
        let p = m.json("/status/chatty");
        (p["history"]
            .as_array()?
            .iter()
            .any(|h| h["new"] == "failed"))
        .then_some(p)
    });
    let kept = pings(&chatty);
    assert_eq!(kept.len(), 20, "{chatty}");
    assert_eq!(kept[19]["ping"], "fail");
    assert_eq!(kept[19]["exit_status"], 3);
    assert!(kept[19]["duration"].is_number(), "{}", kept[19]);
    assert_eq!(chatty["runs"][0]["exit_status"], 3);
    assert_eq!(chatty["state"], "failed");

    let api = m.json("/status/api");
    assert_eq!(api["source"], "text");
    assert_eq!(api["history"][0]["beat"], "beat/30");
    assert_eq!(api["deadline_state"], "late");

    // Unknown names, and a known name under a source it does not have, are 404.
    assert_eq!(m.get("/status/nobody").0, 404);
    assert_eq!(m.get("/status/api?source=ping").0, 404);
    assert_eq!(m.get("/status/api?state=alive").0, 400);
    assert_eq!(m.get("/status/api?source=nowhere").0, 400);

    // One name under two sources: the first in /status's order, the other named.
    m.ok("GET", "/ping/api", None);
    let both = m.json("/status/api");
    assert_eq!(both["source"], "text");
    assert_eq!(both["also"], serde_json::json!(["ping"]));
    assert_eq!(m.json("/status/api?source=ping")["source"], "ping");

    // Forgotten: the history goes with the process.
    m.ok("DELETE", "/ping/nightly", None);
    assert_eq!(m.get("/status/nightly").0, 404);
    m.ok("GET", "/ping/nightly", None);
    let again = m.json("/status/nightly");
    assert_eq!(pings(&again).len(), 1, "{again}");
    assert_eq!(again["runs"], serde_json::json!([]));
}

#[test]
fn history_survives_a_restart_and_kill_9() {
    let dir = scratch("history");
    let file = dir.join("state.json");
    let snapshot = file.to_str().expect("UTF-8");

    let m = Monitor::start(&["--snapshot", snapshot, "--exit-after", "2s"]);
    m.ok("GET", "/ping/backup/start?rid=a", None);
    std::thread::sleep(Duration::from_millis(50));
    m.ok("GET", "/ping/backup?rid=a", None);
    m.ok("GET", "/ping/backup/start?rid=b", None);
    let before = eventually("backup alive", Duration::from_secs(5), || {
        let p = m.json("/status/backup");
        (p["history"].as_array()?.len() >= 5).then_some(p)
    });
    m.wait_exit(Duration::from_secs(20));

    // A clean restart: the saved history, and the open run b, are back.
    let m = Monitor::start(&["--snapshot", snapshot]);
    let after = m.json("/status/backup");
    assert_eq!(after["history"], before["history"]);
    assert_eq!(after["runs"], before["runs"]);
    std::thread::sleep(Duration::from_millis(30));
    m.ok("GET", "/ping/backup?rid=b", None);
    let ended = m.json("/status/backup");
    assert_eq!(ended["runs"].as_array().map(Vec::len), Some(2), "{ended}");
    assert_eq!(ended["runs"][1]["rid"], "b");

    // Killed before any snapshot: the journal's pings come back into the history.
    m.ok("GET", "/ping/backup/fail?rid=c", None);
    drop(m); // SIGKILL
    let m = Monitor::start(&["--snapshot", snapshot]);
    let replayed = m.json("/status/backup");
    let kept = pings(&replayed);
    assert_eq!(kept.last().map(|p| &p["ping"]), Some(&Value::from("fail")));
    assert_eq!(kept.last().map(|p| &p["rid"]), Some(&Value::from("c")));
    assert_eq!(replayed["runs"].as_array().map(Vec::len), Some(2));
    drop(m);
    let _ = std::fs::remove_dir_all(&dir);
}

/// SIGTERM and SIGINT stop the monitor cleanly: it saves its snapshot and exits 0.
#[test]
fn sigterm_and_sigint_stop_the_monitor_cleanly() {
    for signal in ["TERM", "INT"] {
        let dir = scratch(&format!("signal-{signal}"));
        let file = dir.join("state.json");
        let snapshot = file.to_str().expect("UTF-8");
        let m = Monitor::start(&["--snapshot", snapshot]);
        m.ok("GET", "/ping/stopped-by-signal", None);
        m.signal(signal);
        assert_eq!(m.wait_exit(Duration::from_secs(20)), Some(0), "SIG{signal}");
        let saved = std::fs::read_to_string(&file).expect("the snapshot is saved");
        assert!(saved.contains("stopped-by-signal"), "SIG{signal}: {saved}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// A snapshot written before the history existed still loads.
#[test]
fn an_old_snapshot_without_history_loads() {
    let dir = scratch("history-old");
    let file = dir.join("state.json");
    let snapshot = file.to_str().expect("UTF-8");
    let m = Monitor::start(&["--snapshot", snapshot, "--exit-after", "1s"]);
    m.ok("GET", "/ping/old", None);
    m.wait_exit(Duration::from_secs(20));
    let mut saved: Value =
        serde_json::from_slice(&std::fs::read(&file).expect("the snapshot")).expect("JSON");
    assert!(saved["history"].is_object(), "{saved}");
    saved.as_object_mut().map(|o| o.remove("history"));
    std::fs::write(&file, saved.to_string()).expect("written");
    let m = Monitor::start(&["--snapshot", snapshot]);
    let old = m.json("/status/old");
    assert_eq!(old["state"], "alive");
    assert_eq!(old["history"], serde_json::json!([]));
    drop(m);
    let _ = std::fs::remove_dir_all(&dir);
}

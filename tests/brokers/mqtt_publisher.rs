//! A publisher process for the MQTT will test: connects as the publisher of a process
//! (with its Last Will), sends `start/60`, prints `ready`, and waits to be killed.
//!
//! Usage: `heartwire-mqtt-crash-publisher URL PROCESS`
#![forbid(unsafe_code)]

use std::io::Write;
use std::process::ExitCode;

use heartwire::text::{Process, Seconds};
use heartwire_mqtt::{MqttConfig, MqttPublisher};
use heartwire_publish::heart::AsyncHeart;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, name] = args.as_slice() else {
        eprintln!("usage: heartwire-mqtt-crash-publisher URL PROCESS");
        return ExitCode::from(2);
    };
    let process = match Process::new(name) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{name}: {e}");
            return ExitCode::from(2);
        }
    };
    let publisher = match MqttPublisher::connect(&MqttConfig::new(url.as_str()), &process).await {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut heart = AsyncHeart::new(&process, publisher);
    if let Err(e) = heart
        .start(Seconds::from_secs(60).unwrap_or(Seconds::MAX))
        .await
    {
        eprintln!("{e}");
        return ExitCode::FAILURE;
    }
    println!("ready");
    let _ = std::io::stdout().flush();
    // Wait to be killed; the bound only keeps a lost child from living forever.
    tokio::time::sleep(std::time::Duration::from_secs(300)).await;
    ExitCode::SUCCESS
}

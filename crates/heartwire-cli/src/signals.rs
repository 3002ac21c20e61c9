//! The one way the commands catch signals: a thread that waits for the ones a command
//! asks for and hands each to it. `run` forwards them to its job, `ping` pings on
//! SIGUSR1 and stops on SIGINT or SIGTERM, `monitor` stops on SIGINT or SIGTERM.
//!
//! The thread runs tokio's signal listeners (the monitor's runtime has them anyway), so
//! one mechanism serves the blocking commands and the async one alike, and Ctrl-C is
//! caught on every platform.

use std::io;
use std::sync::mpsc;
use std::thread::{self, JoinHandle};

use tokio::sync::{mpsc as channel, oneshot};

/// A signal a command acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Caught {
    /// SIGINT, Ctrl-C.
    Interrupt,
    /// SIGTERM.
    Terminate,
    /// SIGHUP.
    Hangup,
    /// SIGQUIT.
    Quit,
    /// SIGUSR1.
    User1,
}

/// Signals being caught, until dropped; dropping waits for the thread to end, so that
/// the command's handler is never called after.
pub(crate) struct Catching {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Catching {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Catches `signals` from now on (none sent after this returns is lost) and calls `on`
/// with each, on a thread of its own, until the [`Catching`] is dropped. Outside Unix
/// only [`Caught::Interrupt`] (Ctrl-C) is caught.
pub(crate) fn catch(
    signals: &[Caught],
    mut on: impl FnMut(Caught) + Send + 'static,
) -> io::Result<Catching> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (caught, mut arrivals) = channel::unbounded_channel();
    {
        // Registered here, before returning; the listeners run once the thread drives
        // the runtime.
        let _context = runtime.enter();
        for &signal in signals {
            listen(signal, caught.clone())?;
        }
    }
    drop(caught);
    let (stop, stopped) = oneshot::channel::<()>();
    let thread = thread::Builder::new()
        .name("signals".to_owned())
        .spawn(move || {
            runtime.block_on(async move {
                tokio::pin!(stopped);
                loop {
                    tokio::select! {
                        _ = &mut stopped => break,
                        arrived = arrivals.recv() => match arrived {
                            Some(signal) => on(signal),
                            None => break,
                        },
                    }
                }
            });
        })?;
    Ok(Catching {
        stop: Some(stop),
        thread: Some(thread),
    })
}

/// Sends each signal `caught` gives on to process `child` until `caught` ends (the
/// [`Catching`] that feeds it is dropped).
pub(crate) fn forward(caught: mpsc::Receiver<Caught>, child: u32) -> JoinHandle<()> {
    thread::spawn(move || {
        for signal in caught {
            send(child, signal);
        }
    })
}

#[cfg(unix)]
fn listen(signal: Caught, caught: channel::UnboundedSender<Caught>) -> io::Result<()> {
    use tokio::signal::unix::SignalKind;

    let kind = match signal {
        Caught::Interrupt => SignalKind::interrupt(),
        Caught::Terminate => SignalKind::terminate(),
        Caught::Hangup => SignalKind::hangup(),
        Caught::Quit => SignalKind::quit(),
        Caught::User1 => SignalKind::user_defined1(),
    };
    let mut listener = tokio::signal::unix::signal(kind)?;
    tokio::spawn(async move {
        while listener.recv().await.is_some() {
            if caught.send(signal).is_err() {
                break;
            }
        }
    });
    Ok(())
}

#[cfg(not(unix))]
fn listen(signal: Caught, caught: channel::UnboundedSender<Caught>) -> io::Result<()> {
    if signal == Caught::Interrupt {
        tokio::spawn(async move {
            while tokio::signal::ctrl_c().await.is_ok() {
                if caught.send(signal).is_err() {
                    break;
                }
            }
        });
    }
    Ok(())
}

#[cfg(unix)]
fn send(child: u32, signal: Caught) {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;

    let number = match signal {
        Caught::Interrupt => Signal::SIGINT,
        Caught::Terminate => Signal::SIGTERM,
        Caught::Hangup => Signal::SIGHUP,
        Caught::Quit => Signal::SIGQUIT,
        Caught::User1 => Signal::SIGUSR1,
    };
    if let Ok(child) = i32::try_from(child) {
        let _ = kill(Pid::from_raw(child), number);
    }
}

#[cfg(not(unix))]
fn send(_child: u32, _signal: Caught) {}

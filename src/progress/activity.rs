//! The model at work, as `run`, `resume` and `chat` show it while a model call is pending.
//!
//! Owns: the choice between a live status line (a terminal), plain lines (anything else: a CI
//! log, `| tee`) and nothing (`--quiet`), the status line itself (indicatif), and the plain
//! "still working" heartbeat. Does not print the turn's result or any other event line; the
//! front ends do, through [`ModelActivity::suspend`] so their lines never mix with the status
//! line.
//!
//! Off a terminal a model call prints one line when it starts, then one line every
//! [`DEFAULT_HEARTBEAT`] (or `AGENTCTL_PROGRESS_EVERY` seconds) while it is still pending, never
//! one per token. The heartbeat is a task on the runtime that awaits the call: it stops as soon
//! as the call ends, so no heartbeat line follows the turn's line.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::output::{self, line as one};

use super::Verbosity;

/// Off a terminal, how often a pending model call says it is still pending.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(10);

/// After this long without a token the line says the server is still working on the request
/// (which agentctl does not send again: a single-slot server would only queue the copy).
const STILL_WORKING_AFTER: Duration = Duration::from_secs(10);

/// How a pending model call is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// A terminal: one line at the bottom, redrawn in place.
    StatusLine,
    /// Not a terminal (or the status line is turned off): plain lines, `every` apart.
    Plain { every: Option<Duration> },
    /// `--quiet`.
    Silent,
}

/// The model call in progress.
struct Call {
    label: String,
    tokens: Arc<AtomicU64>,
}

pub struct ModelActivity {
    mode: Mode,
    call: Option<Call>,
    bar: Option<ProgressBar>,
    heartbeat: Option<Heartbeat>,
}

impl ModelActivity {
    pub fn new(verbosity: Verbosity) -> ModelActivity {
        let mode = if verbosity.quiet {
            Mode::Silent
        } else if output::stderr_is_terminal() && !verbosity.tracing && status_line_wanted() {
            Mode::StatusLine
        } else {
            Mode::Plain {
                every: heartbeat_interval(),
            }
        };
        ModelActivity {
            mode,
            call: None,
            bar: None,
            heartbeat: None,
        }
    }

    /// Whether lines are plain (no status line drawn in place, nothing silenced).
    pub fn is_plain(&self) -> bool {
        matches!(self.mode, Mode::Plain { .. })
    }

    /// A model request for `persona`'s turn `turn` is about to be sent.
    pub fn start(&mut self, persona: &str, turn: u32) {
        self.stop();
        let label = format!("[{}] turn {turn}", one(persona));
        let tokens = Arc::new(AtomicU64::new(0));
        match self.mode {
            Mode::StatusLine => self.bar = Some(status_bar(&label)),
            Mode::Plain { every } => {
                output::note(&format!("{label}: waiting for the model…"));
                self.heartbeat = every
                    .and_then(|every| Heartbeat::spawn(label.clone(), every, Arc::clone(&tokens)));
            }
            Mode::Silent => {}
        }
        self.call = Some(Call { label, tokens });
    }

    /// Completion tokens streamed so far in this call.
    pub fn tokens(&mut self, tokens: u64) {
        if let Some(call) = &self.call {
            call.tokens.store(tokens, Ordering::Relaxed);
        }
        if let Some(bar) = &self.bar {
            if bar.position() == 0 && tokens > 0 {
                bar.set_message("");
            }
            bar.set_position(tokens);
        }
    }

    /// A note on the status line (a retry and its reason); plain modes print their own line.
    pub fn message(&mut self, text: &str) {
        self.tokens(0);
        if let Some(bar) = &self.bar {
            bar.set_message(format!(" — {}", one(text)));
        }
    }

    /// Takes the status line and the heartbeat away for the rest of this call (chat: the reply
    /// itself now streams and is the progress; a heartbeat line would land in the middle of it
    /// when stdout and stderr go to one log).
    pub fn hide(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        if let Some(heartbeat) = self.heartbeat.take() {
            heartbeat.stop();
        }
    }

    /// The call is over: the status line is cleared and the heartbeat stopped. Returns the
    /// call's label (`[persona] turn N`) for the line that reports its result.
    pub fn stop(&mut self) -> Option<String> {
        self.hide();
        self.call.take().map(|call| call.label)
    }

    /// Runs `write` with the status line out of the way, then draws it again.
    pub fn suspend(&self, write: impl FnOnce()) {
        match &self.bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }
}

impl Drop for ModelActivity {
    fn drop(&mut self) {
        self.stop();
    }
}

/// What a pending call has done so far, in a few words.
fn pending_words(waited: Duration, tokens: u64) -> String {
    let seconds = waited.as_secs();
    if tokens > 0 {
        format!("{tokens} tokens so far, {seconds}s")
    } else if waited >= STILL_WORKING_AFTER {
        format!("no first token yet, {seconds}s; the server is still working on it, not re-sent")
    } else {
        format!("no first token yet, {seconds}s")
    }
}

fn status_bar(label: &str) -> ProgressBar {
    let style = ProgressStyle::with_template("{spinner} {prefix}: {work}{msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner())
        .with_key(
            "work",
            |state: &ProgressState, writer: &mut dyn std::fmt::Write| {
                let _ = if state.pos() == 0 {
                    write!(
                        writer,
                        "waiting for the model ({})",
                        pending_words(state.elapsed(), 0)
                    )
                } else {
                    write!(
                        writer,
                        "{} tokens, {}s",
                        state.pos(),
                        state.elapsed().as_secs()
                    )
                };
            },
        );
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(style);
    bar.set_prefix(label.to_owned());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// The plain "still working" line every `every` while a call is pending: a task on the run's
/// own runtime (the call is awaited meanwhile, so the task gets its turn), not a thread per call.
struct Heartbeat {
    /// Set under the lock the task prints under: once [`Heartbeat::stop`] has returned, no line
    /// of this heartbeat can follow (on a runtime with several threads too).
    stopped: Arc<Mutex<bool>>,
    task: tokio::task::JoinHandle<()>,
}

impl Heartbeat {
    /// `None` outside a runtime (nothing there awaits a model call).
    fn spawn(label: String, every: Duration, tokens: Arc<AtomicU64>) -> Option<Heartbeat> {
        let runtime = tokio::runtime::Handle::try_current().ok()?;
        let stopped = Arc::new(Mutex::new(false));
        let flag = Arc::clone(&stopped);
        let started = Instant::now();
        let task = runtime.spawn(async move {
            let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                let stopped = flag.lock().unwrap_or_else(PoisonError::into_inner);
                if *stopped {
                    return;
                }
                output::note(&format!(
                    "{label}: still waiting for the model ({})",
                    pending_words(started.elapsed(), tokens.load(Ordering::Relaxed))
                ));
            }
        });
        Some(Heartbeat { stopped, task })
    }

    /// Stops the heartbeat; no line of it comes after this returns.
    fn stop(self) {
        *self.stopped.lock().unwrap_or_else(PoisonError::into_inner) = true;
        self.task.abort();
    }
}

/// `AGENTCTL_STATUS_LINE=off` or `TERM=dumb` turns the live status line off (a screen reader,
/// a recorded terminal session); the plain lines are printed instead.
fn status_line_wanted() -> bool {
    let off = std::env::var(agentctl_config::env::AGENTCTL_STATUS_LINE)
        .is_ok_and(|value| matches!(value.trim(), "off" | "0" | "false" | "no"));
    let dumb = std::env::var("TERM").is_ok_and(|term| term == "dumb");
    !off && !dumb
}

/// `AGENTCTL_PROGRESS_EVERY` seconds (whole or fractional; `0` for none), else the default.
fn heartbeat_interval() -> Option<Duration> {
    let Ok(value) = std::env::var(agentctl_config::env::AGENTCTL_PROGRESS_EVERY) else {
        return Some(DEFAULT_HEARTBEAT);
    };
    match value.trim().parse::<f64>() {
        Ok(0.0) => None,
        Ok(seconds) if seconds.is_finite() && seconds > 0.0 => {
            Some(Duration::from_secs_f64(seconds.max(0.1)))
        }
        _ => {
            output::warning(&format!(
                "{}={} is not a number of seconds; using {}",
                agentctl_config::env::AGENTCTL_PROGRESS_EVERY,
                one(&value),
                DEFAULT_HEARTBEAT.as_secs()
            ));
            Some(DEFAULT_HEARTBEAT)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_words_say_the_request_is_not_resent_only_after_a_while() {
        assert_eq!(
            pending_words(Duration::from_secs(3), 0),
            "no first token yet, 3s"
        );
        assert!(
            pending_words(Duration::from_secs(12), 0).ends_with("still working on it, not re-sent")
        );
        assert_eq!(
            pending_words(Duration::from_secs(12), 40),
            "40 tokens so far, 12s"
        );
    }
}

//! What Ctrl-C does in a chat session: while the engine works it cancels that reply (the
//! engine saves the session as interrupted and returns); while the session is idle it ends the
//! program with exit 130, leaving the session saved for `--resume`. At a terminal prompt the
//! line editor reads Ctrl-C as a key, so no signal arrives there.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::watch;

use crate::exit::Exit;
use crate::output;

pub struct Interrupt {
    sender: watch::Sender<bool>,
    busy: AtomicBool,
}

impl Interrupt {
    /// Starts listening for Ctrl-C for the whole session.
    pub fn listen(
        sender: watch::Sender<bool>,
        session_id: String,
        state_dir: std::path::PathBuf,
    ) -> Arc<Interrupt> {
        let interrupt = Arc::new(Interrupt {
            sender,
            busy: AtomicBool::new(false),
        });
        let listener = Arc::clone(&interrupt);
        // Registered here, before any line editor exists, so the editor saves this handler and
        // puts it back when it is dropped.
        let mut signals = match crate::commands::ctrl_c_signals() {
            Ok(signals) => signals,
            Err(error) => {
                output::warning(&format!("Ctrl-C cannot stop a reply here: {error}"));
                return interrupt;
            }
        };
        tokio::spawn(async move {
            while signals.recv().await.is_some() {
                if listener.busy.load(Ordering::SeqCst) {
                    listener.sender.send_replace(true);
                } else {
                    output::note(&format!(
                        "\ninterrupted; session {session_id} is saved: agentctl chat --resume {session_id}"
                    ));
                    if let Ok(entry) = agentctl_core::registry::get(&state_dir, &session_id) {
                        let mut report = agentctl_core::RunReport::of_state(&entry.state);
                        report.status = agentctl_core::RunStatus::Interrupted;
                        report.reason = "stopped by Ctrl-C; the session is saved".to_owned();
                        crate::progress::summary::print(
                            &report,
                            crate::progress::summary::Subject::Session,
                        );
                    }
                    std::process::exit(i32::from(Exit::Interrupted.code()));
                }
            }
        });
        interrupt
    }

    /// The engine starts working: a Ctrl-C from now on cancels its reply.
    pub fn begin(&self) {
        self.sender.send_replace(false);
        self.busy.store(true, Ordering::SeqCst);
    }

    /// The engine returned: the flag is reset so the next message is not cancelled at once.
    pub fn end(&self) {
        self.busy.store(false, Ordering::SeqCst);
        self.sender.send_replace(false);
    }
}

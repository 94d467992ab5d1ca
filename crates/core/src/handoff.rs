//! The handoff router: moving a task from one persona to the next.
//!
//! The target must be one of the sender's handoff targets (the policy engine checked that) and
//! able to start: a handoff to a persona whose gates (other than S08) are not passed is denied
//! with the gate and who records it (`gate_check`). Here, too, the run's limits are enforced (max handoffs, ping-pong between two personas), the
//! packet is rendered, and the target is activated with its own prompt and permissions — capped
//! by every edge ceiling on the path that reached it, never inherited from the sender.
//!
//! Ceilings stick: the ceiling a persona works under is the intersection of the ceiling the
//! sender worked under and the edge's own, so a persona entered with `{fs_read, handoff}` cannot
//! win its tools back by handing off to itself or around a cycle (c → b → c). A handoff to the
//! active persona is refused outright.

use agentctl_persona::HandoffContext;
use agentctl_protocol::{Decision, EventKind, Message, Role, ToolCall, ToolName};
use agentctl_tools::ParsedArguments;

use crate::briefing::{self, Handoff};
use crate::events::RunEvent;
use crate::gates::{self, GateVerdict};
use crate::project_state::ProjectState;
use crate::recorder::Recorder;
use crate::run_loop::{Engine, RunReport};
use crate::run_state::{ActivePersona, RunMode, RunStatus};
use crate::{details, personas, store, CoreError};

/// An allowed handoff to a persona that could not start on this task — a gate other than S08
/// is not passed for it — is denied here, before it is recorded as allowed, with the gate, why
/// the target needs it and which of the sender's own targets records it. Without this the
/// handoff would be accepted and the run would end at the target's gate check, leaving the
/// model no chance to pick the persona that works first. An unapproved S08 is not denied: the
/// run pauses for a human before the target starts, as it always did.
pub(crate) fn gate_check(
    engine: &Engine<'_>,
    parsed: &ParsedArguments,
    verdict: agentctl_policy::Verdict,
) -> Result<agentctl_policy::Verdict, CoreError> {
    let (ParsedArguments::Handoff { to, .. }, Decision::Allow { .. }) = (parsed, &verdict.decision)
    else {
        return Ok(verdict);
    };
    if matches!(engine.state.mode, RunMode::Chat { with_task: false }) {
        return Ok(verdict);
    }
    // A target that cannot be loaded fails the same way it always did, in `switch`.
    let Ok(target) = engine.lookup(to) else {
        return Ok(verdict);
    };
    let project_state = ProjectState::load(&engine.context.config.paths.state_file)?;
    let requirements = gates::requirements(
        &target,
        &engine.context.task,
        engine.state.production,
        &project_state,
    );
    let GateVerdict::Blocked(requirement) = gates::verdict(&requirements) else {
        return Ok(verdict);
    };
    let gate = requirement.gate;
    let sender = engine.lookup(&engine.state.active.name)?;
    let recorders: Vec<String> = sender
        .handoffs
        .iter()
        .map(|target| target.name().to_owned())
        .filter(|name| {
            engine
                .lookup(name)
                .is_ok_and(|persona| persona.reports.contains(&gate))
        })
        .collect();
    let instead = if recorders.is_empty() {
        format!(
            "none of your handoff targets records {gate}; if you cannot record it yourself, \
             finish with a plain-text answer that says {gate} is open"
        )
    } else {
        format!(
            "{gate} is recorded by {}: hand off to {} first",
            recorders.join(" or "),
            recorders[0]
        )
    };
    Ok(agentctl_policy::Verdict {
        decision: Decision::Deny {
            rule: format!("handoff: gate {gate}"),
            reason: format!(
                "{to} cannot start on task {} yet: gate {gate} ({}) is {} and {}; {instead}",
                engine.context.task.id,
                gate.title(),
                requirement.status,
                requirement.because
            ),
        },
        resolved_path: verdict.resolved_path,
    })
}

/// Which of the active persona's handoff targets works next on the task, in gate order: the
/// first that can start and records a gate the task still needs, else the first that can start
/// and has work left (it records no gate and has not worked in this run yet, or records one
/// still open). A target whose gates are all recorded already, that already did its part in
/// this run, or that could not start, is never suggested (the release manager, told to hand
/// off to DevOps, handed a finished task back). `None` when no target fits.
pub(crate) fn works_next(engine: &Engine<'_>) -> Result<Option<String>, CoreError> {
    let sender = engine.lookup(&engine.state.active.name)?;
    let project_state = ProjectState::load(&engine.context.config.paths.state_file)?;
    let task = &engine.context.task;
    let mut startable = Vec::new();
    for edge in &sender.handoffs {
        let Ok(target) = engine.lookup(edge.name()) else {
            continue;
        };
        let requirements =
            gates::requirements(&target, task, engine.state.production, &project_state);
        if matches!(gates::verdict(&requirements), GateVerdict::Blocked(_)) {
            continue;
        }
        let open = target
            .reports
            .iter()
            .any(|gate| !project_state.status(&task.id, *gate).is_satisfied());
        let not_yet_worked = !engine.state.trail.contains(&target.name);
        startable.push((
            target.name.clone(),
            open,
            target.reports.is_empty() && not_yet_worked,
        ));
    }
    let records_open = startable.iter().find(|(_, open, _)| *open);
    let has_work = startable.iter().find(|(_, open, none)| *open || *none);
    Ok(records_open.or(has_work).map(|(name, _, _)| name.clone()))
}

/// Switches the run to `to`. Returns a report when the run ends instead (a limit was hit).
pub(crate) fn switch(
    engine: &mut Engine<'_>,
    call: &ToolCall,
    to: &str,
    summary: &str,
    items: &[String],
) -> Result<Option<RunReport>, CoreError> {
    let from = engine.state.active.name.clone();
    // The packet goes to the next model and the summary to the log and the terminal: redacted.
    let redactor = engine.redactor();
    let summary = &redactor.text(summary);
    let items: &[String] = &items
        .iter()
        .map(|item| redactor.text(item))
        .collect::<Vec<_>>();
    let sender = engine.lookup(&from)?;
    let edge = sender
        .handoffs
        .iter()
        .find(|target| target.name() == to)
        .cloned();
    let target = engine.lookup(to)?;
    let limits = personas::effective_limits(&engine.context.config, Some(&sender));
    if engine.state.handoffs >= limits.max_handoffs {
        let reason = format!(
            "handoff limit reached ({} handoffs); {from} tried to hand off to {to}",
            limits.max_handoffs
        );
        engine.answer(call, format!("denied: {reason}"));
        return engine.end(RunStatus::Failed, reason, None).map(Some);
    }
    if ping_pong_rounds(&engine.state.trail, to) >= engine.context.config.limits.max_ping_pong {
        let reason = format!(
            "handoff loop: {from} and {to} handed the task back and forth {} times",
            engine.context.config.limits.max_ping_pong
        );
        engine.answer(call, format!("denied: {reason}"));
        return engine.end(RunStatus::Failed, reason, None).map(Some);
    }
    let context = edge.as_ref().map(|edge| edge.context).unwrap_or_default();
    let transcript =
        (context == HandoffContext::Full).then(|| render_transcript(&engine.state.messages));
    let project_state = ProjectState::load(&engine.context.config.paths.state_file)?;
    let packet = briefing::render_packet(
        &engine.context.config.paths.templates,
        &Handoff {
            from: &from,
            to: &target,
            summary,
            items,
            task: &engine.context.task,
            production: engine.state.production,
            state: &project_state,
            transcript,
        },
    )
    .map_err(|message| CoreError::HandoffTemplate {
        message: message.to_string(),
    })?;
    let packet = redactor.text(&packet);
    let packet_sha256 = store::sha256_hex(packet.as_bytes());
    engine.observer.on_event(&RunEvent::Handoff {
        from: from.clone(),
        to: to.to_owned(),
        summary: summary.to_owned(),
    });
    Recorder::queue(
        &mut engine.state,
        Some(&from),
        EventKind::Handoff,
        details! {
            "call_id" => call.id.clone(), "from" => from.clone(), "to" => to, "summary" => summary.as_str(),
            "items" => items.to_vec(), "packet_sha256" => packet_sha256,
            "context" => if context == HandoffContext::Full { "full" } else { "packet" },
        },
    );
    engine.answer(call, format!("handed off to {to}"));
    // Calls after the handoff in the same message never run; each still gets its one decision.
    let unanswered: Vec<ToolCall> = engine
        .state
        .messages
        .iter()
        .rev()
        .find(|message| message.role == Role::Assistant)
        .map(|message| {
            message
                .tool_calls
                .iter()
                .filter(|other| !engine.state.answered.contains(&other.id))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    for skipped in unanswered {
        let reason = format!("not run: the task was handed off to {to} before this call");
        Recorder::queue(
            &mut engine.state,
            Some(&from),
            EventKind::ToolDenied,
            details! {
                "call_id" => skipped.id.clone(), "tool" => skipped.name.clone(),
                "arguments" => redactor.arguments(&skipped.arguments), "rule" => "handed off", "reason" => reason.clone(),
            },
        );
        engine.answer(&skipped, format!("denied: {reason}"));
    }
    let finished = std::mem::take(&mut engine.state.messages);
    engine.state.earlier.push((from, finished));
    engine.state.active = ActivePersona {
        name: to.to_owned(),
        prompt_sha256: String::new(),
        ceiling: sticky_ceiling(
            engine.state.active.ceiling.as_deref(),
            edge.and_then(|edge| edge.tools).as_deref(),
        ),
        started: false,
    };
    engine.state.packet = Some(packet);
    engine.state.handoffs += 1;
    engine.state.trail.push(to.to_owned());
    engine.state.answered.clear();
    engine.persona = None;
    engine.offered_tools = None;
    engine.save_and_flush()?;
    Ok(None)
}

/// The ceiling the next persona works under: the tools allowed by both the ceiling the sender
/// worked under and the edge's; `None` (no ceiling) only when neither has one.
pub(crate) fn sticky_ceiling(
    current: Option<&[ToolName]>,
    edge: Option<&[ToolName]>,
) -> Option<Vec<ToolName>> {
    match (current, edge) {
        (None, None) => None,
        (Some(only), None) | (None, Some(only)) => Some(only.to_vec()),
        (Some(current), Some(edge)) => Some(
            current
                .iter()
                .filter(|tool| edge.contains(tool))
                .copied()
                .collect(),
        ),
    }
}

/// How many times the last two personas have already bounced the task between them, counting
/// the handoff to `next` that is about to happen.
fn ping_pong_rounds(trail: &[String], next: &str) -> u32 {
    let mut sequence: Vec<&str> = trail.iter().map(String::as_str).collect();
    sequence.push(next);
    let length = sequence.len();
    if length < 3 {
        return 0;
    }
    let (first, second) = (sequence[length - 1], sequence[length - 2]);
    if first == second {
        return 0;
    }
    let mut rounds: u32 = 0;
    let mut index = length - 1;
    // Walk back while the trail alternates between the two names: A B A B A …
    while index >= 2
        && sequence[index] == sequence[index - 2]
        && sequence[index - 1]
            == if sequence[index] == first {
                second
            } else {
                first
            }
    {
        rounds += 1;
        index -= 1;
    }
    // Two alternations make one round trip (A → B → A).
    rounds.div_ceil(2)
}

fn render_transcript(messages: &[Message]) -> String {
    let mut text = String::new();
    for message in messages {
        let role = match message.role {
            Role::System => continue,
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
        };
        if let Some(content) = &message.content {
            text.push_str(&format!("[{role}] {}\n", content.trim()));
        }
        for call in &message.tool_calls {
            text.push_str(&format!(
                "[assistant → {}] {}\n",
                call.name,
                call.arguments.trim()
            ));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trail(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn ceilings_only_ever_shrink() {
        use ToolName::{FsRead, FsWrite, Handoff};
        assert_eq!(sticky_ceiling(None, None), None);
        assert_eq!(
            sticky_ceiling(Some(&[FsRead, Handoff]), None),
            Some(vec![FsRead, Handoff])
        );
        assert_eq!(sticky_ceiling(None, Some(&[FsWrite])), Some(vec![FsWrite]));
        assert_eq!(
            sticky_ceiling(Some(&[FsRead, Handoff]), Some(&[FsRead, FsWrite, Handoff])),
            Some(vec![FsRead, Handoff])
        );
        assert_eq!(
            sticky_ceiling(Some(&[FsRead]), Some(&[FsWrite])),
            Some(vec![])
        );
    }

    #[test]
    fn counts_round_trips_between_two_personas() {
        assert_eq!(ping_pong_rounds(&trail(&["a"]), "b"), 0);
        assert_eq!(ping_pong_rounds(&trail(&["a", "b"]), "a"), 1);
        assert_eq!(ping_pong_rounds(&trail(&["a", "b", "a"]), "b"), 1);
        assert_eq!(ping_pong_rounds(&trail(&["a", "b", "a", "b"]), "a"), 2);
        assert_eq!(
            ping_pong_rounds(&trail(&["a", "b", "a", "b", "a", "b"]), "a"),
            3
        );
        assert_eq!(ping_pong_rounds(&trail(&["a", "b", "c"]), "a"), 0);
        assert_eq!(ping_pong_rounds(&trail(&["x", "a", "b"]), "a"), 1);
    }
}

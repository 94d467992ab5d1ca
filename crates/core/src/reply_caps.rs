//! Caps on what one model reply controls, applied by the run loop: tool calls per reply, the
//! denial limit inside a reply, the size of a call's arguments, of a handoff (summary and
//! items) and of gate evidence.
//!
//! Owns: the checks and cuts, the `limit.reached` audit entry each one writes when it bites,
//! and the words the model is told. Does not own the caps on the reply itself (bytes, tokens,
//! wall time): the model client enforces those while it reads, and the run loop records its
//! error. The numbers come from `[limits]` (`agentctl_config::ReplyCaps`).

use agentctl_config::ReplyCaps;
use agentctl_protocol::{EventKind, ToolCall};
use serde_json::{Map, Value};

use crate::recorder::Recorder;
use crate::run_loop::Engine;
use crate::run_state::RunMode;
use crate::{details, personas};

/// Longest call id or tool name copied into a `limit.reached` entry.
const NAME_BYTES: usize = 64;

impl Engine<'_> {
    pub(crate) fn caps(&self) -> ReplyCaps {
        self.context.config.limits.reply
    }

    /// Queues one `limit.reached` entry: which `[limits]` key, what was cut or refused.
    pub(crate) fn record_limit(
        &mut self,
        persona: &str,
        key: &str,
        what: String,
        mut more: Map<String, Value>,
    ) {
        let mut recorded = details! { "limit" => key, "what" => what };
        recorded.append(&mut more);
        Recorder::queue(
            &mut self.state,
            Some(persona),
            EventKind::LimitReached,
            recorded,
        );
    }

    /// Answers every call of the newest assistant message past `max_tool_calls_per_reply`
    /// with a denial, without deciding or running any of them. They count as denials; one
    /// `limit.reached` entry records how many there were.
    pub(crate) fn deny_calls_over_cap(&mut self, persona: &str, calls: &[ToolCall]) {
        let cap = usize::try_from(self.caps().max_tool_calls_per_reply).unwrap_or(usize::MAX);
        let Some(over) = calls.get(cap..).filter(|over| !over.is_empty()) else {
            return;
        };
        let count = over.len();
        let reason = format!(
            "this reply asked for {} tool calls and at most {cap} run per reply ([limits] \
             max_tool_calls_per_reply); this one was not run. Ask for fewer calls at a time",
            calls.len()
        );
        for call in over {
            self.answer_unrun(call, format!("denied: {reason}."));
        }
        let counted = u32::try_from(count).unwrap_or(u32::MAX);
        self.state.denials = self.state.denials.saturating_add(counted);
        self.state.tool_calls = self.state.tool_calls.saturating_add(counted);
        self.record_limit(
            persona,
            "max_tool_calls_per_reply",
            format!(
                "{count} of {} tool calls in one reply denied unrun",
                calls.len()
            ),
            details! {
                "limit_value" => cap, "requested" => calls.len(), "denied" => count,
                "first_denied_call_id" => agentctl_audit::cut(&over[0].id, NAME_BYTES),
                "last_denied_call_id" => agentctl_audit::cut(&over[count - 1].id, NAME_BYTES),
            },
        );
    }

    /// Whether the denials counted against `max_denials` (per run, or per human message in a
    /// chat) have reached it.
    pub(crate) fn denial_limit_reached(&self) -> bool {
        let limits = personas::effective_limits(
            &self.context.config,
            self.persona.as_ref().map(|(persona, _)| persona),
        );
        let denials = if matches!(self.state.mode, RunMode::Chat { .. }) {
            self.state
                .denials
                .saturating_sub(self.state.denials_before_message)
        } else {
            self.state.denials
        };
        denials >= limits.max_denials
    }

    /// Answers the calls of this reply not yet answered with "not run" once the denial limit
    /// was reached in the middle of it; the run loop then stops on the limit.
    pub(crate) fn refuse_rest_of_reply(&mut self, persona: &str, calls: &[ToolCall]) {
        let rest: Vec<&ToolCall> = calls
            .iter()
            .filter(|call| !self.state.answered.contains(&call.id))
            .collect();
        if rest.is_empty() {
            return;
        }
        let count = rest.len();
        for call in rest {
            self.answer_unrun(
                call,
                "not run: the limit on denied tool calls was reached earlier in this reply"
                    .to_owned(),
            );
        }
        self.record_limit(
            persona,
            "max_denials",
            format!("{count} later tool calls of the reply not run"),
            details! { "not_run" => count },
        );
    }

    /// The summary and items a handoff passes on, cut to their caps; a `limit.reached` entry
    /// when anything was cut. The cut text says how much was removed, so the next persona
    /// knows it has part of it.
    pub(crate) fn cut_handoff(
        &mut self,
        persona: &str,
        summary: &str,
        items: &[String],
    ) -> (String, Vec<String>) {
        let caps = self.caps();
        let summary_bytes = summary.len();
        let summary = agentctl_audit::cut(summary, caps.max_handoff_summary_bytes);
        let dropped = items.len().saturating_sub(caps.max_handoff_items);
        let mut items_cut = 0_usize;
        let mut kept: Vec<String> = items
            .iter()
            .take(caps.max_handoff_items)
            .map(|item| {
                if item.len() > caps.max_handoff_item_bytes {
                    items_cut += 1;
                }
                agentctl_audit::cut(item, caps.max_handoff_item_bytes)
            })
            .collect();
        if dropped > 0 {
            kept.push(format!(
                "[agentctl: {dropped} more items were dropped ([limits] max_handoff_items)]"
            ));
        }
        if summary_bytes > caps.max_handoff_summary_bytes {
            self.record_limit(
                persona,
                "max_handoff_summary_bytes",
                format!(
                    "handoff summary of {summary_bytes} bytes cut to {}",
                    caps.max_handoff_summary_bytes
                ),
                Map::new(),
            );
        }
        if dropped > 0 || items_cut > 0 {
            self.record_limit(
                persona,
                "max_handoff_items",
                format!(
                    "{} handoff items: {dropped} dropped, {items_cut} cut to {} bytes",
                    items.len(),
                    caps.max_handoff_item_bytes
                ),
                Map::new(),
            );
        }
        (summary, kept)
    }

    /// Gate evidence cut to `max_gate_evidence_bytes`; a `limit.reached` entry and a note for
    /// the model when it was cut.
    pub(crate) fn cut_evidence(&mut self, persona: &str, evidence: &str) -> (String, String) {
        let cap = self.caps().max_gate_evidence_bytes;
        if evidence.len() <= cap {
            return (evidence.to_owned(), String::new());
        }
        self.record_limit(
            persona,
            "max_gate_evidence_bytes",
            format!("gate evidence of {} bytes cut to {cap}", evidence.len()),
            Map::new(),
        );
        (
            agentctl_audit::cut(evidence, cap),
            format!(
                " (evidence cut from {} to {cap} bytes, [limits] max_gate_evidence_bytes; \
                 cite files instead of pasting them)",
                evidence.len()
            ),
        )
    }
}

/// The error for a call whose arguments are over `max_tool_argument_bytes`, if it is.
pub(crate) fn oversized_arguments(call: &ToolCall, caps: &ReplyCaps) -> Option<(String, String)> {
    let length = call.arguments.len();
    (length > caps.max_tool_argument_bytes).then(|| {
        (
            "argument size".to_owned(),
            format!(
                "the arguments of this call are {length} bytes, more than the {} allowed \
                 ([limits] max_tool_argument_bytes); split the work into smaller calls",
                caps.max_tool_argument_bytes
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_over_the_cap_are_refused_with_the_key() {
        let caps = ReplyCaps {
            max_tool_argument_bytes: 10,
            ..ReplyCaps::default()
        };
        let call = ToolCall {
            id: "a".into(),
            name: "fs_read".into(),
            arguments: r#"{"path":"a-long-name"}"#.into(),
        };
        let (rule, reason) = oversized_arguments(&call, &caps).unwrap();
        assert_eq!(rule, "argument size");
        assert!(reason.contains("max_tool_argument_bytes"), "{reason}");
        let small = ToolCall {
            arguments: "{}".into(),
            ..call
        };
        assert!(oversized_arguments(&small, &caps).is_none());
    }
}

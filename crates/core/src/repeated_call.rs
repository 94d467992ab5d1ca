//! Noticing a model that repeats itself: a tool call with the same name and arguments as one
//! it already made in this persona's conversation, answered with the same text.
//!
//! A small local model can get stuck sending one call over and over (measured here: a 1.5B
//! model listed a missing file three times in a row, and after a handoff back read `AGENTS.md`
//! until its 40-turn limit), spending a turn limit without learning anything.
//!
//! - The second identical call is run as usual, and its answer, when it is the same as the
//!   first's, says so: one extra line after a short answer; a long answer (a whole file) is not
//!   sent again at all, only a note that it is the same. The audit entry has the full output.
//! - A further identical call, once an earlier one got that note, is refused without running
//!   ([`refusal`]): the tool call loop decides it as a denial (adding how the persona goes on:
//!   its next handoff, or a plain-text answer), so it counts toward `max_denials` and a loop
//!   ends the run early with a reason instead of at the turn limit.
//! - After a reply with a refused repeat, the persona's next request carries one message from
//!   agentctl ([`ask`], placed by [`needs_asking`]) saying that its part ends here and how it
//!   goes on, and the run loop narrows what that request offers (see
//!   `RunLoop::model_turn`). A 1.5B model told all this inside the refusal wrote the same file
//!   again until the denial limit; asked in a message of its own, with no tool to call, it wrote
//!   its report.
//!
//! Does not know about: policy, the audit log, limits.

use agentctl_protocol::{Message, Role, ToolCall};
use serde_json::Value;

/// The line added to a repeated call's answer.
pub const NOTE: &str = "[agentctl: you already made this exact call and got this same answer; \
                        repeating it changes nothing. Take the next step of your instructions \
                        instead, or finish with a plain-text answer.]";

/// The answer to a repeated call whose text is longer than [`SHORT_ANSWER_BYTES`]: the text is
/// not sent again (the model has it in the conversation, and a 1.5B model that got a whole
/// file back each time read `AGENTS.md` seven times in a row), only this note.
pub fn elided(tool: &str, bytes: usize) -> String {
    format!(
        "{ELIDED_START}{tool} call got ({bytes} bytes, \
         above in this conversation); it is not repeated here. Repeating the call changes \
         nothing: do not make it again. Take the next step of your instructions, a different \
         call, or finish with a plain-text answer.]"
    )
}

/// How [`elided`] begins.
const ELIDED_START: &str = "[agentctl: this is the same answer your earlier identical ";

/// How the reason [`refusal`] gives begins.
const REFUSAL_START: &str = "this exact call was already answered twice with the same text";

/// Why `call` is not run, when an identical earlier call in `messages` was already answered as
/// a repeat (or refused as one): the same call and arguments came back the same way twice, so a
/// third run would tell the model nothing new. `None`: run it.
pub fn refusal(messages: &[Message], call: &ToolCall) -> Option<String> {
    let flagged = identical_earlier_calls(messages, call).any(|earlier| {
        answer_to(messages, &earlier.id).is_some_and(|text| {
            text.ends_with(NOTE) || text.starts_with(ELIDED_START) || text.contains(REFUSAL_START)
        })
    });
    flagged.then(|| {
        format!(
            "{REFUSAL_START} (above in this conversation), so agentctl does not run `{}` with \
             these arguments again.",
            call.name.trim()
        )
    })
}

/// How [`ask`]'s message begins.
const ASK_START: &str =
    "[agentctl: your last call was refused: it repeated a call already answered twice.";

/// Whether the last reply in `messages` had a call refused by [`refusal`] and agentctl has not
/// yet asked the persona how it goes on ([`ask`]).
pub fn needs_asking(messages: &[Message]) -> bool {
    let Some(reply) = messages
        .iter()
        .rposition(|message| message.role == Role::Assistant)
    else {
        return false;
    };
    let answers = &messages[reply + 1..];
    answers.iter().all(|message| message.role == Role::Tool)
        && answers.iter().any(|message| {
            message.content.as_deref().is_some_and(|text| {
                text.strip_prefix(DENIED_PREFIX)
                    .is_some_and(|reason| reason.starts_with(REFUSAL_START))
            })
        })
}

/// How the tool call loop begins a denied call's answer.
pub const DENIED_PREFIX: &str = "denied: ";

/// agentctl's message after a reply with a refused repeat: the persona's part ends here; it
/// hands off to `next` (the target that works next in gate order) or, with none, reports in
/// plain text. The wording was chosen on the local model: told "finish with a plain-text
/// answer", a 1.5B model wrote its last tool call out as JSON text; asked to reply "in two or
/// three plain sentences (not JSON, not a tool call)", it wrote a report.
pub fn ask(next: Option<&str>) -> Message {
    let how = match next {
        Some(target) => format!(
            "Hand off with `handoff` to {target}, who works next on this task in gate order, \
             with a summary of what you did; or, if you cannot, reply with your report to a \
             human"
        ),
        None => {
            "Make no more tool calls: reply to this message with your report to a human".to_owned()
        }
    };
    Message::user(format!(
        "{ASK_START} Your part of this task ends here. {how} in two or three plain sentences \
         (not JSON, not a tool call): what you did on this task and what is left.]"
    ))
}

/// Whether the last message of `messages` is [`ask`]'s, the one the next request answers.
pub fn asked(messages: &[Message]) -> bool {
    messages.last().is_some_and(|message| {
        message.role == Role::User
            && message
                .content
                .as_deref()
                .is_some_and(|text| text.starts_with(ASK_START))
    })
}

/// Up to this size a repeated answer is sent again, with [`NOTE`] after it.
pub const SHORT_ANSWER_BYTES: usize = 300;

/// Whether `call`, about to be answered with `answer`, repeats an earlier call in `messages`
/// that got the same answer.
pub fn repeats(messages: &[Message], call: &ToolCall, answer: &str) -> bool {
    identical_earlier_calls(messages, call).any(|earlier| {
        answer_to(messages, &earlier.id).is_some_and(|text| same_answer(text, answer))
    })
}

/// The calls in `messages` before `call` (in the order the model made them) with its name and
/// arguments. A later call of the same reply is not earlier, even when it was answered first
/// (the calls over `max_tool_calls_per_reply` are answered before the first ones run).
/// Only the last [`LOOK_BACK_CALLS`] calls count: a loop repeats a call soon, and a run of
/// thousands of turns must not parse every earlier call's arguments for each answer.
fn identical_earlier_calls<'a>(
    messages: &'a [Message],
    call: &'a ToolCall,
) -> impl Iterator<Item = &'a ToolCall> + 'a {
    let arguments = normalized(&call.arguments);
    let earlier: Vec<&'a ToolCall> = messages
        .iter()
        .filter(|message| message.role == Role::Assistant)
        .flat_map(|message| message.tool_calls.iter())
        .take_while(|earlier| earlier.id != call.id)
        .collect();
    let recent = earlier.len().saturating_sub(LOOK_BACK_CALLS);
    earlier.into_iter().skip(recent).filter(move |earlier| {
        earlier.name == call.name && normalized(&earlier.arguments) == arguments
    })
}

/// How many of the persona's most recent calls are searched for a repeat.
pub const LOOK_BACK_CALLS: usize = 50;

/// The text of the tool message answering the call `id`.
fn answer_to<'a>(messages: &'a [Message], id: &str) -> Option<&'a str> {
    messages
        .iter()
        .find(|message| message.role == Role::Tool && message.tool_call_id.as_deref() == Some(id))
        .and_then(|message| message.content.as_deref())
}

/// An earlier answer may already carry the note.
fn same_answer(earlier: &str, answer: &str) -> bool {
    let earlier = earlier
        .strip_suffix(NOTE)
        .map_or(earlier, |text| text.trim_end_matches('\n'));
    earlier == answer
}

/// Arguments compared as JSON values, so spacing and key order do not matter.
fn normalized(arguments: &str) -> Result<Value, String> {
    serde_json::from_str(arguments).map_err(|_| arguments.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(id: &str, arguments: &str) -> ToolCall {
        ToolCall {
            id: id.to_owned(),
            name: "fs_list".to_owned(),
            arguments: arguments.to_owned(),
        }
    }

    fn assistant(call: ToolCall) -> Message {
        Message {
            role: Role::Assistant,
            content: None,
            tool_calls: vec![call],
            tool_call_id: None,
        }
    }

    #[test]
    fn the_same_call_with_the_same_answer_is_a_repeat_and_anything_else_is_not() {
        let messages = vec![
            assistant(call("a", r#"{"path": "CHANGELOG.md"}"#)),
            Message::tool_result("a".to_owned(), "missing".to_owned()),
        ];
        let again = call("b", r#"{ "path":"CHANGELOG.md" }"#);
        assert!(repeats(&messages, &again, "missing"));
        assert!(!repeats(&messages, &again, "now it exists"));
        assert!(!repeats(
            &messages,
            &call("c", r#"{"path": "."}"#),
            "missing"
        ));
        // The call being answered is not its own earlier copy.
        let mut with_current = messages.clone();
        with_current.push(assistant(again.clone()));
        assert!(!repeats(
            &with_current[..1],
            &call("a", r#"{"path": "CHANGELOG.md"}"#),
            "missing"
        ));
        // A third repeat matches an earlier answer that already carries the note.
        with_current.push(Message::tool_result(
            "b".to_owned(),
            format!("missing\n{NOTE}"),
        ));
        let messages_without_first: Vec<Message> = with_current[2..].to_vec();
        assert!(repeats(
            &messages_without_first,
            &call("d", r#"{"path": "CHANGELOG.md"}"#),
            "missing"
        ));
    }

    #[test]
    fn a_call_is_refused_once_an_identical_one_was_answered_as_a_repeat() {
        let mut messages = Vec::new();
        let read = |id: &str| call(id, r#"{"path": "AGENTS.md"}"#);
        // First and second calls run; the second's answer carries the note.
        assert_eq!(refusal(&messages, &read("a")), None);
        messages.push(assistant(read("a")));
        messages.push(Message::tool_result("a".to_owned(), "text".to_owned()));
        assert_eq!(refusal(&messages, &read("b")), None);
        messages.push(assistant(read("b")));
        messages.push(Message::tool_result(
            "b".to_owned(),
            format!("text\n{NOTE}"),
        ));
        let third = refusal(&messages, &read("c")).expect("the third identical call is refused");
        assert!(third.starts_with(REFUSAL_START), "{third}");
        assert!(third.contains("`fs_list`"), "{third}");
        // Other arguments still run; a refusal keeps refusing the same call.
        assert_eq!(refusal(&messages, &call("x", r#"{"path": "."}"#)), None);
        messages.push(assistant(read("c")));
        messages.push(Message::tool_result(
            "c".to_owned(),
            format!("denied: {third}"),
        ));
        assert!(refusal(&messages[4..], &read("d")).is_some());
        // A long answer sent as the elided note counts as answered alike.
        let elided_answer = vec![
            assistant(read("e")),
            Message::tool_result("e".to_owned(), elided("fs_list", 900)),
        ];
        assert!(refusal(&elided_answer, &read("f")).is_some());
        // An identical call whose answer changed was not a repeat.
        let changed = vec![
            assistant(read("g")),
            Message::tool_result("g".to_owned(), "one".to_owned()),
            assistant(read("h")),
            Message::tool_result("h".to_owned(), "two".to_owned()),
        ];
        assert_eq!(refusal(&changed, &read("i")), None);
        // Only calls made before this one count, even when a later call of the same reply
        // was answered first.
        let one_reply = vec![
            Message {
                role: Role::Assistant,
                content: None,
                tool_calls: vec![read("j"), read("k"), read("l")],
                tool_call_id: None,
            },
            Message::tool_result("k".to_owned(), format!("text\n{NOTE}")),
            Message::tool_result("l".to_owned(), format!("text\n{NOTE}")),
        ];
        assert_eq!(refusal(&one_reply, &read("j")), None);
        assert!(refusal(&one_reply, &read("l")).is_some());
        // A repeat further back than the look-back window does not count.
        let mut long_ago = vec![
            assistant(read("m")),
            Message::tool_result("m".to_owned(), format!("text\n{NOTE}")),
        ];
        for index in 0..LOOK_BACK_CALLS {
            let other = call(&format!("o{index}"), &format!(r#"{{"path": "{index}"}}"#));
            long_ago.push(assistant(other));
            long_ago.push(Message::tool_result(format!("o{index}"), "x".to_owned()));
        }
        assert_eq!(refusal(&long_ago, &read("n")), None);
        assert!(refusal(&long_ago[..4], &read("n")).is_some());
    }

    #[test]
    fn a_reply_with_a_refused_repeat_is_asked_once_how_the_persona_goes_on() {
        let read = |id: &str| call(id, r#"{"path": "AGENTS.md"}"#);
        let refused =
            format!("{DENIED_PREFIX}{REFUSAL_START} (above), so agentctl does not run it");
        let mut messages = vec![
            Message::system("prompt"),
            Message::user("brief"),
            Message {
                role: Role::Assistant,
                content: None,
                tool_calls: vec![read("a"), call("b", r#"{"path": "."}"#)],
                tool_call_id: None,
            },
            Message::tool_result("a".to_owned(), refused.clone()),
            Message::tool_result("b".to_owned(), "AGENTS.md".to_owned()),
        ];
        assert!(needs_asking(&messages));
        assert!(!asked(&messages));
        messages.push(ask(None));
        assert!(asked(&messages));
        // Asked once: the same reply does not ask again.
        assert!(!needs_asking(&messages));
        // A reply without a refused repeat asks nothing, nor does a tool output that merely
        // quotes the refusal's words, nor a conversation with no reply yet.
        messages.push(assistant(read("c")));
        messages.push(Message::tool_result("c".to_owned(), "text".to_owned()));
        assert!(!needs_asking(&messages));
        assert!(!asked(&messages));
        messages.push(assistant(read("d")));
        messages.push(Message::tool_result(
            "d".to_owned(),
            REFUSAL_START.to_owned(),
        ));
        assert!(!needs_asking(&messages));
        assert!(!needs_asking(&messages[..2]));
        // Other denials are not repeats.
        messages.push(assistant(read("e")));
        messages.push(Message::tool_result(
            "e".to_owned(),
            format!("{DENIED_PREFIX}path outside the write scope"),
        ));
        assert!(!needs_asking(&messages));
    }
}

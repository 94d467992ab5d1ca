//! Noticing a model that repeats itself: a tool call with the same name and arguments as one
//! it already made in this persona's conversation, answered with the same text.
//!
//! A small local model can get stuck sending one call over and over (measured here: a 1.5B
//! model listed a missing file three times in a row), spending a turn limit without learning
//! anything. Such an answer gets one extra line saying so; a long answer (a whole file) is not
//! sent again at all, only a note that it is the same. Nothing is refused: the call was
//! decided, run and audited as usual (the audit entry has the full output); only the text the
//! model reads changes.
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
        "[agentctl: this is the same answer your earlier identical {tool} call got ({bytes} bytes, \
         above in this conversation); it is not repeated here. Repeating the call changes \
         nothing: do not make it again. Take the next step of your instructions, a different \
         call, or finish with a plain-text answer.]"
    )
}

/// Up to this size a repeated answer is sent again, with [`NOTE`] after it.
pub const SHORT_ANSWER_BYTES: usize = 300;

/// Whether `call`, about to be answered with `answer`, repeats an earlier call in `messages`
/// that got the same answer.
pub fn repeats(messages: &[Message], call: &ToolCall, answer: &str) -> bool {
    let arguments = normalized(&call.arguments);
    messages
        .iter()
        .filter(|message| message.role == Role::Assistant)
        .flat_map(|message| message.tool_calls.iter())
        .filter(|earlier| earlier.id != call.id && earlier.name == call.name)
        .filter(|earlier| normalized(&earlier.arguments) == arguments)
        .any(|earlier| {
            messages.iter().any(|message| {
                message.role == Role::Tool
                    && message.tool_call_id.as_deref() == Some(earlier.id.as_str())
                    && message
                        .content
                        .as_deref()
                        .is_some_and(|text| same_answer(text, answer))
            })
        })
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
}

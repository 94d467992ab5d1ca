//! Keeping a conversation inside the model's context window.
//!
//! The rule (documented in docs/chat.md): before every model call, the conversation's size is
//! estimated at one token per four bytes plus four per message. When it exceeds three quarters
//! of `[endpoint] context_window` less the tool definitions sent with it, the oldest exchanges after the system prompt and the first
//! briefing message are dropped — an exchange is a user message, or an assistant message
//! together with the tool results answering it, so no tool result is ever orphaned — until the
//! estimate fits, and one note says how many messages were dropped. The newest exchange is
//! always kept, even when it alone is too large. Nothing is ever dropped silently: the count
//! goes into the `model.response` audit entry. (One tool result is kept small by `[tools]
//! output_cap_bytes`, whose default is sized from the window.)

use agentctl_protocol::{Message, Role};

const NOTE_PREFIX: &str = "[agentctl: ";

/// Estimated tokens of a conversation.
pub fn estimate(messages: &[Message]) -> usize {
    messages
        .iter()
        .map(|message| {
            let text = message.content.as_deref().map_or(0, str::len);
            let calls: usize = message
                .tool_calls
                .iter()
                .map(|call| call.name.len() + call.arguments.len())
                .sum();
            (text + calls).div_ceil(4) + 4
        })
        .sum()
}

/// Estimated tokens of the tool definitions sent with every request (same rate as messages).
pub fn estimate_tools(tools: &[agentctl_llm::ToolSpec]) -> usize {
    tools
        .iter()
        .map(|tool| {
            let bytes =
                tool.name.len() + tool.description.len() + tool.parameters.to_string().len();
            bytes.div_ceil(4) + 4
        })
        .sum()
}

/// Drops the oldest exchanges until the estimate fits `window` (75% of it, leaving room for
/// the answer). Returns how many messages were dropped.
pub fn fit(messages: &mut Vec<Message>, window: usize) -> usize {
    let budget = window.saturating_mul(3) / 4;
    if window == 0 || estimate(messages) <= budget {
        return 0;
    }
    // Keep the system prompt and the first briefing message, and any earlier drop note.
    let mut keep_head = messages
        .iter()
        .take_while(|message| message.role == Role::System)
        .count();
    if messages
        .get(keep_head)
        .is_some_and(|message| message.role == Role::User)
    {
        keep_head += 1;
    }
    let previously_dropped = match messages.get(keep_head) {
        Some(message) if is_note(message) => {
            let count = note_count(message);
            messages.remove(keep_head);
            count
        }
        _ => 0,
    };
    let mut dropped = 0;
    loop {
        let exchanges = exchange_starts(&messages[keep_head..]);
        // The newest exchange always stays.
        if exchanges.len() <= 1 || estimate(messages) + 16 <= budget {
            break;
        }
        let end = keep_head + exchanges[1];
        dropped += end - keep_head;
        messages.drain(keep_head..end);
    }
    let total = previously_dropped + dropped;
    if total > 0 {
        messages.insert(
            keep_head,
            Message::user(format!(
                "{NOTE_PREFIX}{total} earlier messages were dropped to stay within the model's context window]"
            )),
        );
    }
    dropped
}

/// Indices where exchanges start: a user message, or an assistant message (its tool results
/// follow it and belong to it).
fn exchange_starts(messages: &[Message]) -> Vec<usize> {
    messages
        .iter()
        .enumerate()
        .filter(|(_, message)| matches!(message.role, Role::User | Role::Assistant))
        .map(|(index, _)| index)
        .collect()
}

fn is_note(message: &Message) -> bool {
    message.role == Role::User
        && message
            .content
            .as_deref()
            .is_some_and(|text| text.starts_with(NOTE_PREFIX))
}

fn note_count(message: &Message) -> usize {
    message
        .content
        .as_deref()
        .and_then(|text| text.strip_prefix(NOTE_PREFIX))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|count| count.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use agentctl_protocol::ToolCall;

    use super::*;

    fn conversation(exchanges: usize, size: usize) -> Vec<Message> {
        let mut messages = vec![Message::system("system"), Message::user("brief")];
        for index in 0..exchanges {
            messages.push(Message::user("u".repeat(size)));
            let call = ToolCall {
                id: format!("c{index}"),
                name: "fs_read".into(),
                arguments: "{}".into(),
            };
            messages.push(Message::assistant(None, vec![call]));
            messages.push(Message::tool_result(format!("c{index}"), "r".repeat(size)));
        }
        messages
    }

    #[test]
    fn tool_definitions_are_estimated_like_messages() {
        let tool = agentctl_llm::ToolSpec {
            name: "fs_read".into(),
            description: "d".repeat(95),
            parameters: serde_json::json!({}),
        };
        // 7 + 95 + 2 bytes = 26 tokens, plus 4.
        assert_eq!(estimate_tools(&[tool.clone(), tool]), 60);
    }

    #[test]
    fn a_small_conversation_is_untouched() {
        let mut messages = conversation(2, 10);
        let before = messages.clone();
        assert_eq!(fit(&mut messages, 8192), 0);
        assert_eq!(messages, before);
    }

    #[test]
    fn old_exchanges_are_dropped_whole_and_noted() {
        let mut messages = conversation(20, 400);
        let dropped = fit(&mut messages, 2000);
        assert!(dropped > 0);
        assert!(estimate(&messages) <= 1500, "{}", estimate(&messages));
        assert_eq!(messages[0].role, Role::System);
        assert_eq!(messages[1].content.as_deref(), Some("brief"));
        assert!(is_note(&messages[2]));
        assert_eq!(note_count(&messages[2]), dropped);
        // No tool result without its assistant call.
        for (index, message) in messages.iter().enumerate() {
            if message.role == Role::Tool {
                let id = message.tool_call_id.clone().unwrap_or_default();
                assert!(messages[..index]
                    .iter()
                    .any(|earlier| earlier.tool_calls.iter().any(|call| call.id == id)));
            }
        }
        // A second fit accumulates the count in one note.
        messages.extend(conversation(10, 400).into_iter().skip(2));
        let more = fit(&mut messages, 2000);
        assert_eq!(note_count(&messages[2]), dropped + more);
        assert_eq!(
            messages.iter().filter(|message| is_note(message)).count(),
            1
        );
    }

    #[test]
    fn the_newest_exchange_is_kept_even_if_too_large() {
        let mut messages = conversation(1, 100_000);
        fit(&mut messages, 1000);
        assert!(messages.iter().any(|message| message.role == Role::Tool));
    }
}

//! The library and starter project shipped inside the binary, written out by `agentctl init`.

include!(concat!(env!("OUT_DIR"), "/shipped_files.rs"));

/// The `agentctl.toml` that `init` writes.
pub const DEFAULT_CONFIG: &str = r#"# agentctl configuration. Every key is optional; `agentctl docs configuration` lists them all.

# Who may approve human gates (S08). Empty: anyone.
approvers = []

[endpoint]
# Any OpenAI-compatible server (`agentctl docs endpoints`). For the local model of an agentctl
# clone (`scripts/local-model.sh up --model qwen2.5-coder-1.5b`) set base_url = "local" and
# model = "qwen2.5-coder-1.5b"; on a CPU its first answer to each persona can take minutes.
base_url = "https://api.openai.com/v1"
api_key_env = "OPENAI_API_KEY"
model = "gpt-4.1-mini"
stream = true
timeout_s = 120
# The wait for the first byte of a reply: a slow local server is still reading the prompt.
first_token_timeout_s = 900
max_retries = 3

[models]
# persona model name = endpoint model name
# "claude-sonnet-4.5" = "gpt-4.1-mini"

[vars]
PROJECT_NAME = "my-service"

[gates]
# What a persona must have done before its `gate_report ... "passed"` is recorded. Each pattern
# is matched against the words of ONE plain command (no `;`, `|`, `&&`, `||`, `&`, `$`) that the
# reporting persona ran in the same run, inside the sandbox, and that exited 0.
# `agentctl docs gates` explains what counts and what does not.
[gates.S06]
commands = ["python3 -m unittest*"]

[gates.S07]
commands = ["python3 scripts/scan_secrets.py*"]

[limits]
# The whole reply, including the wait above.
max_reply_seconds = 1200
max_turns = 40
max_handoffs = 8
token_budget = 200000
max_denials = 10
"#;

#!/usr/bin/env bash
# End-to-end test against a real model server that nobody here wrote: llama.cpp's llama-server
# (scripts/local-model.sh) serving a real model. Usage:
#
#   scripts/e2e-real-model.sh                              # SmolLM2-135M (the CI default)
#   scripts/e2e-real-model.sh --model qwen2.5-coder-1.5b   # the capable model (1.1 GB)
#
# With either model it asserts what must hold whatever the model says:
#   0. the server passes tool results to the model: a probe sends the same conversation with a
#      short and a padded tool result and fails loudly unless prompt_tokens grows;
#   1. each run ends with a documented exit code (0 finished, 1 failed/limit, 3 paused);
#   2. every tool call in every transcript has exactly one tool.allowed or tool.denied entry;
#   3. no file outside the personas' write scopes changed;
#   4. `agentctl audit verify` passes.
# Every request agentctl sends goes through a recording proxy (scripts/local-model/
# record-proxy.py), so the test sees what the model was given. With the capable model it also
# runs a task whose result is checkable on disk (read deploy/k8s/deployment.yaml, write
# deploy/staging-plan.md, hand off), asserts that the model's second request carries the first
# tool's result, and reports (without asserting) how far the model got.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

say() { printf 'e2e: %s\n' "$*" >&2; }
fail() {
    printf 'e2e: FAILED: %s\n' "$*" >&2
    exit 1
}

model="smollm2"
while (($# > 0)); do
    case "$1" in
    --model)
        (($# >= 2)) || { say "--model needs a value"; exit 2; }
        model="$2"
        shift 2
        ;;
    --model=*)
        model="${1#--model=}"
        shift
        ;;
    -h | --help)
        sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        say "unknown argument '$1' (usage: scripts/e2e-real-model.sh [--model smollm2|qwen2.5-coder-1.5b])"
        exit 2
        ;;
    esac
done
case "$model" in
smollm2 | qwen2.5-coder-1.5b) ;;
*)
    say "unknown model '$model' (expected smollm2 or qwen2.5-coder-1.5b)"
    exit 2
    ;;
esac

cargo build --quiet --bin agentctl
agentctl="$root/target/debug/agentctl"

say "bringing up llama-server with model $model (first time: builds llama-server, about 6 minutes, and downloads the model)"
set +e
timeout 2400 scripts/local-model.sh up --model "$model" >/tmp/agentctl-e2e-up.log 2>&1
status=$?
set -e
if [ "$status" -ne 0 ]; then
    tail -n 30 /tmp/agentctl-e2e-up.log >&2 || true
    if [ "$status" -eq 3 ]; then
        fail "the package registry (PyPI) could not be reached to build the server or fetch the model; the real-model test did not run"
    fi
    fail "the local model endpoint did not come up (exit $status); see the log above"
fi
server_url="$(scripts/local-model.sh url)"
say "endpoint: $server_url (model $model)"

# --- 0. the server passes tool results to the model -----------------------------------------
python3 - "$server_url" "$model" <<'PY' || fail "tool-result probe (see above)"
import json, sys, time, urllib.request
base, model = sys.argv[1:3]
tool = {"type": "function", "function": {"name": "fs_read", "description": "Read a file",
        "parameters": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}}}
def ask(result):
    body = {"model": model, "max_tokens": 1, "stream": False, "tools": [tool], "tool_choice": "auto",
            "messages": [
                {"role": "system", "content": "You are a careful assistant."},
                {"role": "user", "content": "What does notes.txt say?"},
                {"role": "assistant", "content": "", "tool_calls": [{"id": "probe1", "type": "function",
                    "function": {"name": "fs_read", "arguments": "{\"path\": \"notes.txt\"}"}}]},
                {"role": "tool", "tool_call_id": "probe1", "content": result}]}
    request = urllib.request.Request(base + "/chat/completions", json.dumps(body).encode(),
                                     {"Content-Type": "application/json"})
    started = time.monotonic()
    reply = json.load(urllib.request.urlopen(request, timeout=600))
    return reply["usage"]["prompt_tokens"], time.monotonic() - started
short, short_s = ask("ok")
padding = "\n".join(f"line {n}: the deployment keeps two replicas of shopfront" for n in range(50))
padded, padded_s = ask("ok\n" + padding)
print(f"e2e: tool-result probe: prompt_tokens {short} with a 1-line tool result, {padded} with 51 lines "
      f"({short_s:.1f} s, {padded_s:.1f} s)", file=sys.stderr)
if padded - short < 200:
    print("e2e: FAILED: the server does not pass tool results to the model: padding the tool message "
          f"with 50 lines changed prompt_tokens by {padded - short} (expected 200 or more). "
          "Check the chat template (scripts/local-model/templates/) and the server version.", file=sys.stderr)
    sys.exit(1)
PY

# --- the project and the recording proxy ------------------------------------------------------
work="$(mktemp -d)"
proxy_pid=""
cleanup() {
    if [ -n "$proxy_pid" ]; then kill "$proxy_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z -- personas contexts templates prompts examples | xargs -0 cp --parents -t "$work"
else
    cp -r personas contexts templates prompts examples "$work/"
    rm -rf "$work/examples/.agentctl" "$work/examples/AUDIT_LOG.md"
fi
project="$work/examples"

python3 scripts/local-model/record-proxy.py "${server_url%/v1}" "$work/requests.jsonl" "$work/proxy.port" &
proxy_pid=$!
for _ in $(seq 50); do [ -s "$work/proxy.port" ] && break; sleep 0.1; done
[ -s "$work/proxy.port" ] || fail "the recording proxy did not start"
proxy_url="http://127.0.0.1:$(cat "$work/proxy.port")/v1"

# Short, bounded runs through the proxy, served by the chosen model. The capable model needs
# more turns to finish a task and more time for a cold prompt (about a minute on 2 cores).
if [ "$model" = smollm2 ]; then turns=3 reply_timeout=120; else turns=8 reply_timeout=300; fi
python3 - "$project/agentctl.toml" "$proxy_url" "$model" "$turns" "$reply_timeout" <<'PY'
import re, sys
path, url, model, turns, timeout = sys.argv[1:6]
text = open(path).read()
text = re.sub(r'(?m)^base_url = ".*"$', f'base_url = "{url}"', text)
text = re.sub(r'(?m)^model = ".*"$', f'model = "{model}"', text)
text = re.sub(r'(?m)^"gpt-4.1-mini" = ".*"$', f'"gpt-4.1-mini" = "{model}"', text)
text = re.sub(r"max_turns = \d+", f"max_turns = {turns}", text)
text = re.sub(r"max_retries = \d+", "max_retries = 1", text)
text = re.sub(r"timeout_s = \d+", f"timeout_s = {timeout}", text)
open(path, "w").write(text)
PY
grep -q "base_url = \"$proxy_url\"" "$project/agentctl.toml" || fail "could not point examples/agentctl.toml at the proxy"

# A task whose success shows on disk.
cat >"$project/tasks/T-900.md" <<'EOF'
---
id: T-900
title: Write the staging deployment plan
env: staging
phase: S09
acceptance:
  - "deploy/staging-plan.md names the image and the replica count from deploy/k8s/deployment.yaml"
rollback: "kubectl rollout undo deployment/shopfront -n staging"
---
Do exactly these three steps, one tool call each, and nothing else:

1. Read `deploy/k8s/deployment.yaml` with `fs_read`.
2. Write `deploy/staging-plan.md` with `fs_write`: a short plan that names the container image
   and the number of replicas exactly as they appear in that file, and the rollback command.
3. Hand off to `qa-engineer` with `handoff`, summarising the plan.
EOF

# Its quality and security gates count as passed, as T-154's do: this tests the model, not gates.
python3 - "$project/PROJECT_STATE.md" <<'PY'
import sys
path = sys.argv[1]
lines = open(path).read().splitlines(keepends=True)
rows = ["| T-900 | S06 | passed | qa-engineer | 2025-06-02T09:14:05Z | e2e: same build as T-154 |\n",
        "| T-900 | S07 | passed | sec-reviewer | 2025-06-02T09:31:40Z | e2e: same change set as T-154 |\n"]
last_row = max(i for i, line in enumerate(lines) if line.startswith("| T-"))
open(path, "w").write("".join(lines[:last_row + 1] + rows + lines[last_row + 1:]))
PY

snapshot() { (cd "$project" && find . -type f ! -path './.agentctl/*' ! -name AUDIT_LOG.md -print0 | sort -z | xargs -0 sha256sum); }
snapshot >"$work/before.txt"

run() {
    local persona="$1" task="$2" label="$1-$2" started=$SECONDS
    : >"$work/requests.jsonl"
    set +e
    (cd "$project" && timeout 1200 "$agentctl" run "$persona" --task "$task" --json >"$work/$label.json" 2>"$work/$label.err")
    local code=$?
    set -e
    mv "$work/requests.jsonl" "$work/$label.requests.jsonl"
    tail -n 20 "$work/$label.err" >&2
    case "$code" in
    0 | 1 | 3) say "$label: exit $code in $((SECONDS - started)) s, $(grep -c '/chat/completions' "$work/$label.requests.jsonl" || true) model requests ($(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["status"], "-", r["reason"])' "$work/$label.json" 2>/dev/null || echo 'no report'))" ;;
    *) fail "$label: undocumented exit code $code" ;;
    esac
}

if [ "$model" = smollm2 ]; then
    run ops-devops T-154
    run orch-planner T-154
else
    run ops-devops T-900
fi

snapshot >"$work/after.txt"
(cd "$project" && "$agentctl" audit verify) || fail "audit verify"

# --- 1-3. invariants --------------------------------------------------------------------------
python3 - "$project" "$agentctl" "$work/before.txt" "$work/after.txt" <<'PY'
import fnmatch, glob, json, os, subprocess, sys
project, agentctl, before_file, after_file = sys.argv[1:5]

def run(*args):
    return subprocess.run([agentctl, *args], cwd=project, check=True, capture_output=True, text=True).stdout

entries = json.loads(run("audit", "show", "--json"))
decisions = {}
for entry in entries:
    if entry["event"] in ("tool.allowed", "tool.denied"):
        call = entry["details"].get("call_id")
        decisions[(entry["run"], call)] = decisions.get((entry["run"], call), 0) + 1

calls = []
for state_path in glob.glob(os.path.join(project, ".agentctl/runs/*/state.json")):
    state = json.load(open(state_path))
    conversations = [state["messages"]] + [messages for _, messages in state.get("earlier", [])]
    for messages in conversations:
        for message in messages:
            for call in message.get("tool_calls", []):
                calls.append((state["run_id"], call["id"]))
problems = [f"call {call} has {decisions.get(call, 0)} decision entries" for call in calls if decisions.get(call, 0) != 1]
print(f"e2e: {len(calls)} tool calls in transcripts, {sum(decisions.values())} decision entries", file=sys.stderr)

scopes = set()
for row in json.loads(run("personas", "--json")):
    if row["kind"] == "persona":
        shown = json.loads(run("show", row["name"], "--json"))
        scopes.update((shown.get("effective_policy") or {}).get("write", []))
def parse(path):
    return dict(line.split(None, 1)[::-1] for line in open(path).read().splitlines())
before, after = parse(before_file), parse(after_file)
changed = sorted(path for path in set(before) | set(after) if before.get(path) != after.get(path))
for path in changed:
    relative = path[2:] if path.startswith("./") else path
    if relative == "PROJECT_STATE.md":
        continue  # written by agentctl itself (gate_report)
    if not any(fnmatch.fnmatch(relative, scope) or fnmatch.fnmatch(relative, scope.replace("**/", "")) for scope in scopes):
        problems.append(f"{relative} changed but no persona may write it")
print(f"e2e: changed files: {changed or 'none'}", file=sys.stderr)
if problems:
    print("e2e: FAILED:\n  " + "\n  ".join(problems), file=sys.stderr)
    sys.exit(1)
PY

# --- the capable model: what it was sent, and how far it got ----------------------------------
if [ "$model" != smollm2 ]; then
    python3 - "$project" "$work/ops-devops-T-900.requests.jsonl" <<'PY'
import glob, json, os, sys
project, log_path = sys.argv[1:3]
exchanges = [json.loads(line) for line in open(log_path) if line.strip()]
exchanges = [e for e in exchanges if e["path"].endswith("/chat/completions") and e["status"] == 200]

def tool_calls_of(exchange):
    """The tool calls of a recorded reply, streamed or not, as (id, name, arguments)."""
    text = exchange["response"]
    if text.lstrip().startswith("{"):
        message = json.loads(text)["choices"][0]["message"]
        return [(c.get("id"), c["function"]["name"], c["function"].get("arguments")) for c in message.get("tool_calls") or []]
    calls = {}
    for line in text.splitlines():
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        chunk = json.loads(line[6:])
        for choice in chunk.get("choices", []):
            for piece in (choice.get("delta") or {}).get("tool_calls") or []:
                call = calls.setdefault(piece.get("index", 0), {"id": None, "name": "", "arguments": ""})
                call["id"] = piece.get("id") or call["id"]
                function = piece.get("function") or {}
                call["name"] = function.get("name") or call["name"]
                call["arguments"] += function.get("arguments") or ""
    return [(c["id"], c["name"], c["arguments"]) for _, c in sorted(calls.items())]

def usage_of(exchange):
    text = exchange["response"]
    if text.lstrip().startswith("{"):
        return json.loads(text).get("usage", {}).get("prompt_tokens")
    found = None
    for line in text.splitlines():
        if line.startswith("data: {"):
            usage = json.loads(line[6:]).get("usage")
            if usage:
                found = usage.get("prompt_tokens")
    return found

print(f"e2e: capable model: {len(exchanges)} model requests recorded", file=sys.stderr)
first_with_calls = next((i for i, e in enumerate(exchanges) if tool_calls_of(e)), None)
if first_with_calls is None:
    print("e2e: FAILED: the capable model made no tool call at all, so nothing checks that it sees tool results", file=sys.stderr)
    sys.exit(1)
if first_with_calls + 1 >= len(exchanges):
    print("e2e: FAILED: no request followed the first tool call", file=sys.stderr)
    sys.exit(1)
call_id, call_name, call_arguments = tool_calls_of(exchanges[first_with_calls])[0]
second = exchanges[first_with_calls + 1]["request"]
results = [m for m in second["messages"] if m.get("role") == "tool" and m.get("tool_call_id") == call_id]
# The transcript agentctl kept: the tool result it recorded for that call.
recorded = None
for state_path in glob.glob(os.path.join(project, ".agentctl/runs/*/state.json")):
    state = json.load(open(state_path))
    for messages in [state["messages"]] + [m for _, m in state.get("earlier", [])]:
        for message in messages:
            if message.get("tool_call_id") == call_id:
                recorded = message.get("content")
if not results or not (results[0].get("content") or "").strip() or results[0].get("content") != recorded:
    print(f"e2e: FAILED: the request after the first tool call ({call_name} {call_arguments}, id {call_id}) "
          f"does not carry that tool's result as recorded in the transcript: found {len(results)} tool "
          "message(s) with that id", file=sys.stderr)
    sys.exit(1)
before, after = usage_of(exchanges[first_with_calls]), usage_of(exchanges[first_with_calls + 1])
print(f"e2e: PASS: request {first_with_calls + 2} carries the result of {call_name} {call_arguments} "
      f"({len(recorded)} characters); prompt_tokens {before} -> {after}", file=sys.stderr)

# How far the model got: reported, not asserted.
all_calls = [call for e in exchanges for call in tool_calls_of(e)]
read_it = any(name == "fs_read" and "deployment.yaml" in (arguments or "") for _, name, arguments in all_calls)
plan_path = os.path.join(project, "deploy/staging-plan.md")
plan = open(plan_path).read() if os.path.exists(plan_path) else None
handed = [name for _, name, _ in all_calls if name == "handoff"]
steps = [
    ("read deploy/k8s/deployment.yaml", read_it),
    ("wrote deploy/staging-plan.md", plan is not None),
    ("the plan names image shopfront:1.2.0", bool(plan) and "shopfront:1.2.0" in plan),
    ("the plan names 2 replicas", bool(plan) and "2" in plan and "replica" in plan.lower()),
    ("handed off", bool(handed)),
]
print("e2e: capable model progress (reported, not asserted):", file=sys.stderr)
for label, done in steps:
    print(f"e2e:   [{'x' if done else ' '}] {label}", file=sys.stderr)
print(f"e2e:   tool calls in order: {', '.join(name for _, name, _ in all_calls) or 'none'}", file=sys.stderr)
PY
fi
say "1 passed, 0 failed (model $model)"

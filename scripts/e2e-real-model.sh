#!/usr/bin/env bash
# End-to-end test against a real model server that nobody here wrote: llama-cpp-python serving
# SmolLM2-135M (scripts/local-model.sh). The model is tiny and its tool calls are often nonsense,
# so this asserts only what must hold whatever it says:
#   1. each run ends with a documented exit code (0 finished, 1 failed/limit, 3 paused);
#   2. every tool call in every transcript has exactly one tool.allowed or tool.denied entry;
#   3. no file outside the personas' write scopes changed;
#   4. `agentctl audit verify` passes.
# Runs: ops-devops on T-154 (the quickstart task) and a chain starting at orch-planner.
# Time is bounded: a few turns per run and a hard timeout per command.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

say() { printf 'e2e: %s\n' "$*" >&2; }
fail() { printf 'e2e: FAILED: %s\n' "$*" >&2; exit 1; }

cargo build --quiet --bin agentctl
agentctl="$root/target/debug/agentctl"

say "bringing up the local model endpoint (first time: builds llama-cpp-python, about 5-6 minutes)"
set +e
timeout 1500 scripts/local-model.sh up >/tmp/agentctl-e2e-up.log 2>&1
status=$?
set -e
if [ "$status" -ne 0 ]; then
    tail -n 30 /tmp/agentctl-e2e-up.log >&2 || true
    if [ "$status" -eq 3 ]; then
        fail "the package registry (PyPI) could not be reached to install llama-cpp-python; the real-model test did not run"
    fi
    fail "the local model endpoint did not come up (exit $status); see the log above"
fi
say "endpoint: $(scripts/local-model.sh url)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r personas contexts templates prompts examples "$work/"
project="$work/examples"
# Short, bounded runs: the model answers slowly on two cores.
python3 - "$project/agentctl.toml" <<'PY'
import re, sys
path = sys.argv[1]
text = open(path).read()
# The server ignores max_tokens with tool_choice auto, so a turn can take 90 s on two cores:
# three turns, a 90 s reply timeout and one retry (the server resets the connection after
# refusing a stream) keep one run under about 9 minutes in the worst case.
text = re.sub(r"max_turns = \d+", "max_turns = 3", text)
text = re.sub(r"max_retries = \d+", "max_retries = 1", text)
text = re.sub(r"timeout_s = \d+", "timeout_s = 90", text)
open(path, "w").write(text)
PY

snapshot() { (cd "$project" && find . -type f ! -path './.agentctl/*' ! -name AUDIT_LOG.md -print0 | sort -z | xargs -0 sha256sum) ; }
snapshot >"$work/before.txt"

run() {
    local persona="$1"
    set +e
    (cd "$project" && timeout 900 "$agentctl" run "$persona" --task T-154 --json >"$work/$persona.json" 2>"$work/$persona.err")
    local code=$?
    set -e
    tail -n 20 "$work/$persona.err" >&2
    case "$code" in
        0|1|3) say "$persona: exit $code ($(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["status"], "-", r["reason"])' "$work/$persona.json" 2>/dev/null || echo 'no report'))" ;;
        *) fail "$persona: undocumented exit code $code" ;;
    esac
}
run ops-devops
run orch-planner

snapshot >"$work/after.txt"
(cd "$project" && "$agentctl" audit verify) || fail "audit verify"

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
say "1 passed, 0 failed"

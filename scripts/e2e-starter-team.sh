#!/usr/bin/env bash
# The new user's whole flow on a real local model, from a fresh `agentctl init`:
#
#   scripts/e2e-starter-team.sh                              # qwen2.5-coder-1.5b (the default)
#   scripts/e2e-starter-team.sh --model smollm2              # the tiny CI model
#   scripts/e2e-starter-team.sh --require-completion         # also fail unless Release finished
#   scripts/e2e-starter-team.sh --port 8766                  # the server's port (default 8765)
#
# In a new temporary directory it runs `agentctl init`, points agentctl.toml at the local model
# (scripts/local-model.sh) through a recording proxy, and then does what the README tells a
# user to do with the production task T-155:
#
#   agentctl run orch-planner --task T-155      # QA -> Security -> pauses for S08 (exit 3)
#   agentctl approve T-155 --gate S08 --by e2e  # only when the run paused there
#   agentctl resume T-155                       # DevOps -> Release
#   agentctl audit verify ; agentctl audit export --html review.html
#
# It asserts what must hold whatever the model says:
#   1. every agentctl command ends with a documented exit code (0, 1, 3; approve 0);
#   2. every tool call the model made has exactly one tool.allowed or tool.denied audit entry;
#   3. no file outside the personas' write scopes changed (PROJECT_STATE.md is agentctl's own);
#   4. `agentctl audit verify` passes;
#   5. S08 held: no ops-devops tool call was allowed, and no deploy file changed, before the
#      human's approval was recorded; a run that paused did so before ops-devops was asked;
#   6. the HTML review page was written, names the run, and (when scripts/browser-test.sh is
#      installed) loads in a headless browser showing the run and a passing verify result.
# It REPORTS, without asserting, how far the model got: which personas ran, the gates recorded,
# whether it paused at S08 and whether the release manager finished, with turns and times.
# Exit: 0 invariants held, 1 an invariant failed, 2 usage error.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

say() { printf 'e2e-team: %s\n' "$*" >&2; }
fail() {
    printf 'e2e-team: FAILED: %s\n' "$*" >&2
    exit 1
}

model="qwen2.5-coder-1.5b"
require_completion=0
port_option=()
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
    --require-completion)
        require_completion=1
        shift
        ;;
    --port)
        (($# >= 2)) || { say "--port needs a value"; exit 2; }
        port_option=(--port "$2")
        shift 2
        ;;
    -h | --help)
        sed -n '2,30p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        say "unknown argument '$1' (usage: scripts/e2e-starter-team.sh [--model smollm2|qwen2.5-coder-1.5b] [--require-completion] [--port N])"
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

started_all=$SECONDS
cargo build --quiet --bin agentctl
agentctl="$root/target/debug/agentctl"

say "bringing up llama-server with model $model"
set +e
timeout 2400 scripts/local-model.sh up --model "$model" "${port_option[@]}" >"${TMPDIR:-/tmp}/agentctl-e2e-team-up.log" 2>&1
status=$?
set -e
if [ "$status" -ne 0 ]; then
    tail -n 30 "${TMPDIR:-/tmp}/agentctl-e2e-team-up.log" >&2 || true
    fail "the local model endpoint did not come up (exit $status); see the log above"
fi
server_url="$(scripts/local-model.sh url)"

work="$(mktemp -d)"
proxy_pid=""
cleanup() {
    if [ -n "$proxy_pid" ]; then kill "$proxy_pid" 2>/dev/null || true; fi
    if [ -n "${AGENTCTL_E2E_KEEP:-}" ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
project="$work/my-service"

python3 scripts/local-model/record-proxy.py "${server_url%/v1}" "$work/requests.jsonl" "$work/proxy.port" &
proxy_pid=$!
for _ in $(seq 50); do [ -s "$work/proxy.port" ] && break; sleep 0.1; done
[ -s "$work/proxy.port" ] || fail "the recording proxy did not start"
proxy_url="http://127.0.0.1:$(cat "$work/proxy.port")/v1"

# --- the new user's steps -----------------------------------------------------------------
"$agentctl" init "$project" >"$work/init.out" 2>&1 || fail "agentctl init: $(cat "$work/init.out")"
# What docs/endpoints.md tells a user to change for the local model: the endpoint and the model.
# (The user writes base_url = "local"; the proxy stands in for it so the test sees each request.)
python3 - "$project/agentctl.toml" "$proxy_url" "$model" <<'PY'
import os, re, sys
path, url, model = sys.argv[1:4]
text = open(path).read()
# `base_url = "local"` also sizes the conversation to the local server's context; the proxy
# URL does not, so say it here as `local` would.
context = os.environ.get("AGENTCTL_LOCAL_MODEL_N_CTX", "8192")
text, urls = re.subn(
    r'(?m)^base_url = ".*"$', f'base_url = "{url}"\ncontext_window = {context}', text
)
text, models = re.subn(r'(?m)^model = ".*"$', f'model = "{model}"', text)
if urls != 1 or models != 1:
    sys.exit(f"e2e-team: agentctl.toml from init has {urls} base_url and {models} model lines (expected 1 each)")
open(path, "w").write(text)
PY

snapshot() { (cd "$project" && find . -type f ! -path './.agentctl/*' ! -name AUDIT_LOG.md -print0 | sort -z | xargs -0 sha256sum); }
snapshot >"$work/before.txt"

# The sandbox runs programs from the system directories; a python3 from pyenv or similar under
# a home directory is outside it (agentctl doctor says so), so the runs use the system PATH.
system_path="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
timings=()
step() {
    # step LABEL ALLOWED_CODES COMMAND...: runs one agentctl command in the project.
    local label="$1" allowed="$2" started=$SECONDS code
    shift 2
    set +e
    (cd "$project" && PATH="$system_path" timeout 5400 "$agentctl" "$@" >"$work/$label.out" 2>"$work/$label.err")
    code=$?
    set -e
    timings+=("$label $((SECONDS - started))s exit $code")
    say "$label: exit $code in $((SECONDS - started)) s"
    tail -n 12 "$work/$label.err" | sed 's/^/    /' >&2
    [[ " $allowed " == *" $code "* ]] || fail "$label: exit $code, expected one of: $allowed"
    last_code=$code
}

last_code=0
step run "0 1 3" run orch-planner --task T-155 --json
run_code=$last_code
snapshot >"$work/after-run.txt"
paused=0
approved=0
if [ "$run_code" -eq 3 ]; then
    paused=1
    # 5a. The pause came before DevOps was asked: no ops-devops entry beyond its gate check.
    python3 - "$project" "$agentctl" <<'PY' || fail "S08 did not hold the run before ops-devops"
import json, subprocess, sys
project, agentctl = sys.argv[1:3]
entries = json.loads(subprocess.run([agentctl, "audit", "show", "--json"], cwd=project, check=True,
                                    capture_output=True, text=True).stdout)
acted = [e for e in entries if e.get("persona") == "ops-devops"
         and e["event"] in ("tool.allowed", "tool.result", "file.diff", "model.response")]
if acted:
    sys.exit(f"e2e-team: ops-devops acted before S08 was approved: {[e['event'] for e in acted]}")
if not any(e["event"] == "gate.pending" for e in entries):
    sys.exit("e2e-team: the run exited 3 but no gate.pending entry says what it waits for")
PY
    step approve "0" approve T-155 --gate S08 --by e2e-starter-team --note "e2e: approved by the test script"
    approved=1
    step resume "0 1 3" resume T-155 --json
fi
snapshot >"$work/after.txt"

step verify "0" audit verify
step verify-json "0" audit verify --json
step export "0" audit export --html "$work/review.html"

# --- invariants ---------------------------------------------------------------------------
python3 - "$project" "$agentctl" "$work" <<'PY'
import fnmatch, json, os, subprocess, sys
project, agentctl, work = sys.argv[1:4]
problems = []

def run(*args):
    return subprocess.run([agentctl, *args], cwd=project, check=True, capture_output=True, text=True).stdout

# 2. Every tool call the model made (as the proxy saw the replies) has one decision entry.
def tool_calls_of(text):
    if text.lstrip().startswith("{"):
        message = json.loads(text)["choices"][0]["message"]
        return [(c.get("id"), c["function"]["name"]) for c in message.get("tool_calls") or []]
    calls = {}
    for line in text.splitlines():
        if not line.startswith("data: ") or line == "data: [DONE]":
            continue
        for choice in json.loads(line[6:]).get("choices", []):
            for piece in (choice.get("delta") or {}).get("tool_calls") or []:
                call = calls.setdefault(piece.get("index", 0), {"id": None, "name": ""})
                call["id"] = piece.get("id") or call["id"]
                call["name"] = (piece.get("function") or {}).get("name") or call["name"]
    return [(c["id"], c["name"]) for _, c in sorted(calls.items())]

exchanges = [json.loads(line) for line in open(os.path.join(work, "requests.jsonl")) if line.strip()]
exchanges = [e for e in exchanges if e["path"].endswith("/chat/completions") and e["status"] == 200]
model_calls = [call for e in exchanges for call in tool_calls_of(e["response"])]

entries = json.loads(run("audit", "show", "--json"))
decisions = {}
for entry in entries:
    if entry["event"] in ("tool.allowed", "tool.denied"):
        key = entry["details"].get("call_id")
        decisions[key] = decisions.get(key, 0) + 1
for call_id, name in model_calls:
    if call_id is None:
        continue  # agentctl names id-less calls itself (call_0, ...): counted below
    if decisions.get(call_id, 0) != 1:
        problems.append(f"the model's {name} call {call_id} has {decisions.get(call_id, 0)} decision entries (expected 1)")
if sum(decisions.values()) != len(model_calls):
    problems.append(f"{len(model_calls)} tool calls from the model but {sum(decisions.values())} decision entries")
print(f"e2e-team: {len(exchanges)} model requests, {len(model_calls)} tool calls, "
      f"{sum(decisions.values())} decision entries", file=sys.stderr)

# 3. Nothing outside the write scopes changed.
scopes = set()
for row in json.loads(run("personas", "--json")):
    if row["kind"] == "persona":
        shown = json.loads(run("show", row["name"], "--json"))
        scopes.update((shown.get("effective_policy") or {}).get("write", []))
def parse(name):
    return dict(line.split(None, 1)[::-1] for line in open(os.path.join(work, name)).read().splitlines())
before, after_run, after = parse("before.txt"), parse("after-run.txt"), parse("after.txt")
def changed(old, new):
    return sorted((p[2:] if p.startswith("./") else p) for p in set(old) | set(new) if old.get(p) != new.get(p))
for path in changed(before, after):
    if path == "PROJECT_STATE.md":
        continue  # agentctl's own gate table
    if not any(fnmatch.fnmatch(path, scope) or fnmatch.fnmatch(path, scope.replace("**/", "")) for scope in scopes):
        problems.append(f"{path} changed but no persona may write it")
print(f"e2e-team: files changed: {changed(before, after) or 'none'}", file=sys.stderr)

# 5. S08: no ops-devops call allowed, no DevOps file written, before the approval entry.
devops = json.loads(run("show", "ops-devops", "--json"))
devops_scopes = (devops.get("effective_policy") or {}).get("write", [])
approved_at = next((e["seq"] for e in entries if e["event"] == "gate.approved" and e["details"].get("gate") == "S08"), None)
early = [e for e in entries if e.get("persona") == "ops-devops" and e["event"] == "tool.allowed"
         and (approved_at is None or e["seq"] < approved_at)]
if early:
    problems.append(f"{len(early)} ops-devops tool calls were allowed before S08 was approved")
for path in changed(before, after_run):
    if any(fnmatch.fnmatch(path, scope) or fnmatch.fnmatch(path, scope.replace("**/", "")) for scope in devops_scopes):
        problems.append(f"{path} (a DevOps file) changed before the human's approval")

# 6. The review page names the run.
page = open(os.path.join(work, "review.html")).read()
run_ids = sorted({e["run"] for e in entries})
if not run_ids or any(run_id not in page for run_id in run_ids):
    problems.append(f"review.html does not name the run(s) {run_ids}")

if problems:
    print("e2e-team: FAILED:\n  " + "\n  ".join(problems), file=sys.stderr)
    sys.exit(1)
print("e2e-team: PASS: one decision per tool call; nothing outside the write scopes; S08 held; review page written", file=sys.stderr)
PY

if scripts/browser-test.sh run "$work/review.html" >"$work/browser.json" 2>"$work/browser.err"; then
    python3 - "$work/browser.json" <<'PY' || fail "the review page in the browser (see above)"
import json, sys
shown = json.load(open(sys.argv[1]))
problems = []
if shown.get("verify_class") != "ok":
    problems.append(f"verify shows {shown.get('verify')!r} (class {shown.get('verify_class')!r})")
if not shown.get("runs"):
    problems.append("no run section")
if shown.get("network_requests") or shown.get("console_errors") or shown.get("dialogs"):
    problems.append(f"requests {shown.get('network_requests')}, console errors {shown.get('console_errors')}, dialogs {shown.get('dialogs')}")
if problems:
    print("e2e-team: FAILED: review page: " + "; ".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"e2e-team: PASS: review page loads in headless chromium: {len(shown['runs'])} run(s), "
      f"personas {shown.get('personas')}, {len(shown.get('approvals', []))} approval(s), verify {shown['verify'].strip()!r}",
      file=sys.stderr)
PY
elif grep -q SKIPPED "$work/browser.err"; then
    say "SKIPPED: the browser check of the review page: $(grep SKIPPED "$work/browser.err" | head -n 1)"
else
    cat "$work/browser.err" >&2
    fail "scripts/browser-test.sh could not load the review page"
fi

# --- how far the model got (reported, not asserted) -----------------------------------------
report_code=0
python3 - "$project" "$agentctl" "$work" "$run_code" "$paused" "$approved" "$require_completion" <<'PY' || report_code=$?
import json, os, subprocess, sys
project, agentctl, work, run_code, paused, approved, require = sys.argv[1:8]
entries = json.loads(subprocess.run([agentctl, "audit", "show", "--json"], cwd=project, check=True,
                                    capture_output=True, text=True).stdout)
started = [e["details"].get("persona") or e.get("persona") for e in entries if e["event"] in ("run.started", "persona.started")]
personas = list(dict.fromkeys(p for p in started if p))
responses = {}
for e in entries:
    if e["event"] == "model.response":
        responses[e.get("persona")] = responses.get(e.get("persona"), 0) + 1
gates = [(e["details"].get("gate"), e["details"].get("status")) for e in entries if e["event"] == "gate.reported"]
denied = [e["details"].get("tool") or e["details"].get("call") for e in entries if e["event"] == "tool.denied"]
handoffs = [e["details"].get("to") for e in entries if e["event"] == "handoff"]
finished = [e for e in entries if e["event"] == "run.finished"]
ending = finished[-1]["details"] if finished else {}
def digests(name):
    return dict(line.split(None, 1)[::-1] for line in open(os.path.join(work, name)).read().splitlines())
before, after = digests("before.txt"), digests("after.txt")
written = {(p[2:] if p.startswith("./") else p) for p in set(before) | set(after) if before.get(p) != after.get(p)}
files = sorted(p for p in written
               if os.path.basename(p) in ("deployment.md", "CHANGELOG.md") or "/releases/" in p)
release_done = "release-manager" in personas and ending.get("status") == "finished"
print("e2e-team: how far the model got (reported, not asserted):", file=sys.stderr)
print(f"e2e-team:   personas that ran: {' -> '.join(personas) or 'none'}", file=sys.stderr)
print(f"e2e-team:   model turns per persona: {responses}", file=sys.stderr)
print(f"e2e-team:   handoffs: {handoffs or 'none'}; gate reports accepted: {gates or 'none'}", file=sys.stderr)
print(f"e2e-team:   denied calls: {len(denied)}", file=sys.stderr)
print(f"e2e-team:   first run exit {run_code}; paused at S08: {'yes' if paused == '1' else 'no'}; "
      f"approved and resumed: {'yes' if approved == '1' else 'no'}", file=sys.stderr)
print(f"e2e-team:   how it ended: {ending.get('status', 'unknown')} ({ending.get('reason', '')})", file=sys.stderr)
print(f"e2e-team:   deployment/release files written: {files or 'none'}", file=sys.stderr)
print(f"e2e-team:   reached Release and finished: {'yes' if release_done else 'no'}", file=sys.stderr)
if require == "1" and not release_done:
    print("e2e-team: FAILED: --require-completion: the chain did not finish with the release manager", file=sys.stderr)
    sys.exit(1)
PY
for line in "${timings[@]}"; do say "time: $line"; done
say "wall time: $((SECONDS - started_all)) s (model $model)"
[ "$report_code" -eq 0 ] || exit 1
say "1 passed, 0 failed (model $model)"

#!/usr/bin/env bash
# The whole starter team on task T-155 without a model: a scripted mock endpoint plays the
# model's side (scripts/mock/starter-team.json), agentctl does everything else for real.
#
#   scripts/demo-team-mock.sh
#
# It builds agentctl and the mock endpoint (debug profile, like scripts/quickstart.sh), makes a
# fresh project with `agentctl init` in a new temporary directory (printed;
# AGENTCTL_DEMO_DIR chooses it: it must be empty or not exist), starts the mock and runs, showing
# each command as you would type it:
#
#   agentctl run orch-planner --task T-155   # QA runs the tests (S06), Security the scan (S07);
#                                            # the handoff to DevOps pauses at S08: exit 3
#   agentctl approve T-155 --gate S08 --by YOU --note ...
#   agentctl resume T-155                    # DevOps records the rollout, Release the changelog
#   agentctl audit show --task T-155 ; agentctl audit verify ; agentctl audit export --html review.html
#
# The mock replays a fixed list of replies in order and checks nothing about a model: what the
# demo shows is agentctl's side (policy decisions, the sandboxed test and scan commands, the
# evidence-bound gates, the human gate, the audit log and its review page).
#
# Environment:
#   AGENTCTL_DEMO_DIR       where to make the project (default: a new directory under $TMPDIR)
#   AGENTCTL_DEMO_APPROVER  the name recorded for the approval (default: your user name)
#   AGENTCTL_DEMO_AGENTCTL, AGENTCTL_DEMO_MOCK
#                           prebuilt binaries to use instead of building them
#   AGENTCTL_DEMO_ENDPOINT  the base URL of a mock already serving the script (then none is
#                           started here; the test suite uses this)
# Exit: 0 every step ended as expected, 1 a step did not, 2 bad input.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
script="$root/scripts/mock/starter-team.json"

say() { printf 'demo: %s\n' "$*" >&2; }
fail() {
    printf 'demo: FAILED: %s\n' "$*" >&2
    exit 1
}

case "${1:-}" in
"") ;;
-h | --help)
    sed -n '2,29p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
*)
    say "unknown argument '$1' (usage: scripts/demo-team-mock.sh; settings are environment variables, see --help)"
    exit 2
    ;;
esac

# --- the binaries -----------------------------------------------------------------------------
agentctl="${AGENTCTL_DEMO_AGENTCTL:-}"
mock="${AGENTCTL_DEMO_MOCK:-}"
endpoint="${AGENTCTL_DEMO_ENDPOINT:-}"
if [ -z "$agentctl" ]; then
    (cd "$root" && cargo build --locked --bin agentctl)
    agentctl="$root/target/debug/agentctl"
fi
if [ -z "$endpoint" ] && [ -z "$mock" ]; then
    (cd "$root" && cargo build --locked -p agentctl-test-support --bin agentctl-mock-endpoint)
    mock="$root/target/debug/agentctl-mock-endpoint"
fi
for binary in "$agentctl" ${mock:+"$mock"}; do
    [ -x "$binary" ] || { say "$binary is not an executable file"; exit 2; }
done
# The commands below are shown as you would type them: `agentctl` is the binary just built.
agentctl_binary="$(cd "$(dirname "$agentctl")" && pwd)/$(basename "$agentctl")"
agentctl() { "$agentctl_binary" "$@"; }
# The sandbox runs programs from the system directories (a python3 from pyenv or similar under a
# home directory is outside it; `agentctl doctor` says so), so the demo uses those.
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Nothing of the shell's own endpoint settings reaches the demo: it talks to the mock only.
unset OPENAI_API_KEY AGENTCTL_MODEL

# --- the project directory ----------------------------------------------------------------------
demo="${AGENTCTL_DEMO_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/agentctl-demo.XXXXXX")}"
# Checked before anything is created: the demo never writes inside the repository.
demo="$(realpath -m -- "$demo")"
case "$demo/" in
"$(realpath -- "$root")"/*)
    say "AGENTCTL_DEMO_DIR=$demo is inside the repository; choose a directory outside it"
    exit 2
    ;;
esac
mkdir -p "$demo"
if [ -n "$(ls -A "$demo")" ]; then
    say "AGENTCTL_DEMO_DIR=$demo is not empty; choose an empty or new directory"
    exit 2
fi
project="$demo/my-service"
say "the project goes in $project (delete $demo when done)"

# --- the mock endpoint ----------------------------------------------------------------------
mock_pid=""
cleanup() {
    if [ -n "$mock_pid" ]; then
        kill "$mock_pid" 2>/dev/null || true
        wait "$mock_pid" 2>/dev/null || true
    fi
}
trap cleanup EXIT
if [ -z "$endpoint" ]; then
    "$mock" --script "$script" --port-file "$demo/mock.url" 2>"$demo/mock.log" &
    mock_pid=$!
    for _ in $(seq 100); do
        [ -s "$demo/mock.url" ] && break
        kill -0 "$mock_pid" 2>/dev/null || break
        sleep 0.1
    done
    [ -s "$demo/mock.url" ] || fail "the mock endpoint did not start: $(cat "$demo/mock.log")"
    endpoint="$(cat "$demo/mock.url")"
    say "the mock endpoint (process $mock_pid) replays $script"
fi

# --- the user's steps -----------------------------------------------------------------------
# step EXPECTED_EXIT COMMAND...: shows the command, runs it, and stops the demo when it ends
# with another exit code.
step() {
    local expected="$1" code
    shift
    printf '\n$ %s\n' "$*" >&2
    set +e
    "$@"
    code=$?
    set -e
    if [ "$code" -ne "$expected" ]; then
        fail "\`$*\` exited with $code, expected $expected (0 done, 1 failed, 2 bad input, 3 paused at a human gate)"
    fi
}

approver="${AGENTCTL_DEMO_APPROVER:-$(id -un 2>/dev/null || echo reviewer)}"
cd "$demo"
step 0 agentctl init my-service
cd "$project"
printf '\n$ cd %s\n$ export OPENAI_BASE_URL=%s\n' "$project" "$endpoint" >&2
export OPENAI_BASE_URL="$endpoint"
step 3 agentctl run orch-planner --task T-155
step 0 agentctl approve T-155 --gate S08 --by "$approver" --note "S06 and S07 evidence reviewed; release 0.1.0"
step 0 agentctl resume T-155
step 0 agentctl audit show --task T-155
step 0 agentctl audit verify
step 0 agentctl audit export --html review.html

for written in docs/deployment.md CHANGELOG.md review.html; do
    [ -s "$written" ] || fail "$written was not written"
done
printf '\n' >&2
say "done: the team released my-service 0.1.0 on the mock, with your approval at S08."
say "the project:     $project (PROJECT_STATE.md, AUDIT_LOG.md, docs/deployment.md, CHANGELOG.md)"
say "the review page: $project/review.html (open it in a browser)"
[ -z "$mock_pid" ] || say "stopping the mock endpoint"

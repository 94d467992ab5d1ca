#!/usr/bin/env bash
# Runs the policy's differential test against bash: the full corpus (hand-written commands plus
# generated ones), the proptest fuzz target, and the decision-speed measurement, in release.
# Every command the policy allows is run by the real bash in a throwaway sandbox (stub PATH,
# scratch workspace, `unshare -rn`, timeout, DEBUG trace); any command bash runs that the
# policy did not see and allow fails the run. See docs/policy.md ("Checked against bash").
#
# Usage: scripts/shell-differential.sh [generated-count] [fuzz-cases]
#   defaults: 2000 generated commands, 1000 fuzz cases
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if ! command -v bash >/dev/null || [ ! -x /bin/bash ] && [ ! -x /usr/bin/bash ]; then
    echo "error: bash is missing; the differential test needs it" >&2
    exit 1
fi
echo "bash: $(bash --version | head -1)" >&2
echo "cores: $(nproc), load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

export SHELL_DIFFERENTIAL_COUNT="${1:-2000}"
export PROPTEST_CASES="${2:-1000}"

log="$root/target/shell-differential.log"
mkdir -p "$root/target"
started=$(date +%s)
status=0
cargo test --release --locked -p agentctl-policy --lib command::differential -- \
    --include-ignored --nocapture --test-threads 1 --skip print_decisions >"$log" 2>&1 || status=$?
grep -oE '(shell-differential|decision-speed):.*|test result.*' "$log" >&2 || true
if [ "$status" -ne 0 ]; then
    echo "FAILED; the disagreements (full output in $log):" >&2
    grep -E -A3 'panicked|disagree|minimal failing' "$log" >&2 || tail -40 "$log" >&2
fi
echo "total: $(( $(date +%s) - started )) s (build included)" >&2
exit "$status"

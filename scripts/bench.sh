#!/usr/bin/env bash
# Builds agentctl, the mock endpoint and agentctl-bench in release, then runs every benchmark
# and prints the results table (Markdown). See docs/BENCHMARKS.md for what each row means.
#
# Usage: scripts/bench.sh [agentctl-bench options...]
#   e.g. scripts/bench.sh --runs 5 --sessions 10     (quicker, noisier)
#        scripts/bench.sh turns                      (one benchmark)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"

echo "## machine" >&2
echo "cores: $(nproc)" >&2
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')" >&2
echo "rustc: $(rustc --version)" >&2
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

if [ ! -x /usr/bin/time ]; then
    echo "note: /usr/bin/time is missing; the memory benchmark needs it (apt-get install time)" >&2
fi

cargo build --release -p agentctl -p agentctl-test-support -p agentctl-bench --bins >&2

"$target/release/agentctl-bench" \
    --agentctl "$target/release/agentctl" \
    --mock-endpoint "$target/release/agentctl-mock-endpoint" \
    --examples "$root/examples" \
    "$@"

# A cross-check of start-up time by an independent tool, when it is installed.
if command -v hyperfine >/dev/null 2>&1 && [ "$#" -eq 0 ]; then
    echo >&2
    echo "## hyperfine cross-check (start-up)" >&2
    (cd "$root/examples" && hyperfine --warmup 3 --runs 30 -N --style basic \
        "$target/release/agentctl --version" \
        "$target/release/agentctl personas") >&2
fi

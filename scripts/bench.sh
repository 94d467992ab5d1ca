#!/usr/bin/env bash
# Measures agentctl against LangGraph and the OpenAI Agents SDK in one interleaved run and prints
# a ready-to-paste Markdown report (see docs/BENCHMARKS.md for what each figure means):
#   - CPU per model turn at 10, 100, 1,000 and 3,000 turns of the qa -> ops -> rm handoff
#     scenario (scripts/bench/scenario.py), every framework against the same mock endpoint;
#   - `run` start-up with 10, 100 and 1,000 personas; PSS of 20 concurrent runs;
#   - `audit show --task` and `audit verify` time and peak memory at 100,000 entries.
# The peers are installed from PyPI at pinned versions (scripts/bench/requirements-peers.txt)
# into a throwaway virtualenv; where PyPI cannot be reached they are SKIPPED with a note and
# agentctl is still measured.
#
# Usage: scripts/bench.sh [--quick] [--no-peers] [--plan TURNS:RUNS:PEER_RUNS,...]
#        scripts/bench.sh micro [agentctl-bench arguments...]
#   --quick     fewer and shorter runs (a few minutes instead of about half an hour)
#   --no-peers  measure agentctl only
#   micro       the finer-grained agentctl-only benchmarks of crates/bench (lint, prompt,
#               in-process run loop, sandbox, ...), e.g. `scripts/bench.sh micro turns`
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"

echo "bench: building the release binaries" >&2
cargo build --release -p agentctl -p agentctl-test-support -p agentctl-bench --bins >&2

if [ "${1:-}" = micro ]; then
    shift
    exec "$target/release/agentctl-bench" \
        --agentctl "$target/release/agentctl" \
        --mock-endpoint "$target/release/agentctl-mock-endpoint" \
        --examples "$root/examples" "$@"
fi

peers=yes
passed=()
while [ "$#" -gt 0 ]; do
    case "$1" in
        --no-peers) peers=no ;;
        --quick) passed+=(--quick) ;;
        --plan) passed+=(--plan "$2"); shift ;;
        -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
        *) echo "bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

python=python3
command -v "$python" >/dev/null || { echo "bench: needs python3" >&2; exit 2; }

venv=""
cleanup() { if [ -n "$venv" ]; then rm -rf "$venv"; fi; }
trap cleanup EXIT
if [ "$peers" = yes ]; then
    venv="$(mktemp -d "${TMPDIR:-/tmp}/agentctl-bench-peers-XXXXXX")"
    echo "bench: installing the Python peers into a throwaway virtualenv $venv" >&2
    if "$python" -m venv "$venv" >&2 \
        && "$venv/bin/pip" install --quiet --disable-pip-version-check --timeout 30 \
            -r "$root/scripts/bench/requirements-peers.txt" >&2; then
        passed+=(--python "$venv/bin/python")
    else
        echo "bench: SKIPPED the Python peers: could not install them from PyPI (no network or" \
            "registry unreachable); measuring agentctl only" >&2
        passed+=(--peers-skipped "could not install LangGraph and the OpenAI Agents SDK from PyPI")
    fi
else
    passed+=(--peers-skipped "--no-peers was given")
fi

"$python" "$root/scripts/bench/measure.py" \
    --agentctl "$target/release/agentctl" \
    --mock "$target/release/agentctl-mock-endpoint" \
    --bench "$target/release/agentctl-bench" \
    "${passed[@]}"

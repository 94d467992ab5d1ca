#!/usr/bin/env bash
# Measures, with the release binary, the figures docs/BENCHMARKS.md gives for start-up work,
# `audit show`/`audit verify` memory and the caps on a model's reply:
#   - release binary size;
#   - `agentctl run` start-up and one failed turn with 1,000 personas, against a plain-http
#     endpoint (no certificate store) and an https one (the system's roots are loaded);
#   - `agentctl personas` on the same library (parses every file: what `run` used to do);
#   - `agentctl audit show --task`, `audit show` and `audit verify` on a 100,000-entry log:
#     wall time and peak RSS;
#   - peak RSS of `agentctl run` against an endpoint that streams without end.
# Each measurement is repeated RUNS times (default 15) and reported as median (min – max).
#
# Usage: scripts/bench-startup-and-caps.sh [RUNS]
set -euo pipefail

runs="${1:-15}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
command -v perf >/dev/null || { echo "needs perf (apt-get install linux-perf)" >&2; exit 2; }

cargo build --release -p agentctl -p agentctl-test-support -p agentctl-bench --bins >&2
agentctl="$target/release/agentctl"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$target/release/agentctl-bench" generate "$work" >&2

# median, min and max of the numbers on stdin
stats() { sort -g | awk '{v[NR]=$1} END {m=(NR%2)?v[(NR+1)/2]:(v[NR/2]+v[NR/2+1])/2; printf "%.2f (%.2f – %.2f)", m, v[1], v[NR]}'; }

# measure LABEL UNIT FIELD COMMAND...: runs COMMAND $runs times under /usr/bin/time; FIELD is
# cpu (user+sys ms), wall (ms) or rss (MiB)
measure() {
    local label="$1" field="$2"; shift 2
    local values=()
    "$@" >/dev/null 2>&1 || true # warm-up
    for _ in $(seq "$runs"); do
        local line
        # A failing command (the refused turn exits 1) is still measured.
        if [ "$field" = cpu ]; then
            # perf's task-clock: CPU time of the process and its threads, in ms, finer than
            # the 10 ms ticks of /usr/bin/time.
            perf stat -x, -e task-clock -o "$work/perf.txt" "$@" >/dev/null 2>&1 || true
            values+=("$(grep task-clock "$work/perf.txt" | cut -d, -f1)")
            continue
        fi
        /usr/bin/time -o "$work/time.txt" -f '%U %S %e %M' "$@" >/dev/null 2>&1 || true
        line="$(tail -1 "$work/time.txt")"
        case "$field" in
            wall) values+=("$(echo "$line" | awk '{print $3 * 1000}')") ;;
            rss) values+=("$(echo "$line" | awk '{print $4 / 1024}')") ;;
        esac
    done
    printf '| %s | %s |\n' "$label" "$(printf '%s\n' "${values[@]}" | stats)"
}

echo "| measurement | median (min – max) |"
echo "|---|---:|"
printf '| release binary size (MiB) | %.1f |\n' "$(stat -c %s "$agentctl" | awk '{print $1 / 1048576}')"
if [ -f "$agentctl.dwp" ]; then
    printf '| split line tables `agentctl.dwp` (MiB) | %.1f |\n' "$(stat -c %s "$agentctl.dwp" | awk '{print $1 / 1048576}')"
fi

library="$work/library"
sed -i 's|^\[endpoint\]$|[endpoint]\nmax_retries = 0|' "$library/agentctl.toml"
cd "$library"
http=(env OPENAI_BASE_URL=http://127.0.0.1:9/v1 "$agentctl" run p-0500 --task T-1)
https=(env OPENAI_BASE_URL=https://127.0.0.1:9/v1 "$agentctl" run p-0500 --task T-1)
measure '`run` start-up + one refused turn, 1,000 personas, http:// (CPU ms)' cpu "${http[@]}"
measure '`run` start-up + one refused turn, 1,000 personas, https:// (CPU ms)' cpu "${https[@]}"
measure '`run` start-up + one refused turn, 1,000 personas, http:// (wall ms)' wall "${http[@]}"
measure '`personas` (parses all 1,000 files; wall ms)' wall "$agentctl" personas

cd "$work/audit-project"
measure '`audit show --task T-150 --json`, 100,000 entries (wall ms)' wall "$agentctl" audit show --task T-150 --json
measure '`audit show --task T-150 --json`, 100,000 entries (peak RSS MiB)' rss "$agentctl" audit show --task T-150 --json
measure '`audit show` (everything), 100,000 entries (peak RSS MiB)' rss "$agentctl" audit show
measure '`audit verify`, 100,000 entries (wall ms)' wall "$agentctl" audit verify
measure '`audit verify`, 100,000 entries (peak RSS MiB)' rss "$agentctl" audit verify

# An endpoint that streams without end: the run must end on max_reply_bytes in bounded memory.
echo '["endless"]' >"$work/endless.json"
endless_once() {
    local port_file="$work/mock.url"
    rm -f "$port_file"
    "$target/release/agentctl-mock-endpoint" --script "$work/endless.json" --port-file "$port_file" &
    local mock=$!
    while [ ! -s "$port_file" ]; do sleep 0.01; done
    (cd "$library" && OPENAI_BASE_URL="$(cat "$port_file")" "$agentctl" run p-0500 --task T-1) || true
    kill "$mock" 2>/dev/null || true
    wait "$mock" 2>/dev/null || true
}
export -f endless_once
export work target library agentctl
measure '`run` against an endless stream, default caps (peak RSS MiB)' rss bash -c endless_once

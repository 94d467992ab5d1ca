#!/usr/bin/env bash
# Per-turn cost of `agentctl run` as a run grows: one scripted session of N model turns (each
# asks for one fs_read, the last one answers), against the scripted mock endpoint, for several N.
# Prints, per N: durability syscalls (fdatasync, fsync, rename) per turn from strace, and the
# agentctl process's CPU time (user + system) per turn from a second, untraced run.
#
# Usage: scripts/bench-run-length.sh [AGENTCTL_BINARY] [TURNS...]
#        (defaults: target/release/agentctl, or target/debug/agentctl; 10 100 1000 3000)
# Needs: strace, /usr/bin/time, agentctl-mock-endpoint built next to the binary.
set -euo pipefail
repository="$(cd "$(dirname "$0")/.." && pwd)"
binary="${1:-}"
if [[ -z "$binary" ]]; then
    binary="$repository/target/release/agentctl"
    [[ -x "$binary" ]] || binary="$repository/target/debug/agentctl"
fi
binary="$(realpath "$binary")"
shift || true
turns_list=("${@:-10 100 1000 3000}")
read -r -a turns_list <<<"${turns_list[*]}"
mock="$(dirname "$binary")/agentctl-mock-endpoint"
work="$(mktemp -d)"
trap 'kill "${mock_pid:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

printf '%-7s %-12s %-10s %-10s %-14s\n' turns fdatasync/t fsync/t rename/t "cpu ms/turn"
for turns in "${turns_list[@]}"; do
    for pass in trace time; do
        project="$work/p-$turns-$pass"
        mkdir -p "$project"
        for folder in personas contexts templates prompts; do
            cp -r "$repository/$folder" "$project/"
        done
        cp -r "$repository/examples" "$project/examples"
        rm -rf "$project/examples/.agentctl" "$project/examples/AUDIT_LOG.md"
        python3 - "$project/examples" "$turns" <<'PY'
import json, sys, pathlib
root, turns = pathlib.Path(sys.argv[1]), int(sys.argv[2])
replies = [{"tool_calls": [{"name": "fs_read", "arguments": {"path": "deploy/k8s/deployment.yaml"}}]}
           for _ in range(turns - 1)] + [{"text": "done"}]
(root / "script.json").write_text(json.dumps(replies))
config = (root / "agentctl.toml").read_text()
config = config.replace("max_turns = 12", f"max_turns = {turns + 10}")
persona = root.parent / "personas" / "ops-devops.md"
persona.write_text(persona.read_text().replace("limits: { max_turns: 40 }", f"limits: {{ max_turns: {turns + 10} }}"))
config = config.replace("token_budget = 60000", "token_budget = 1000000000")
(root / "agentctl.toml").write_text(config)
PY
        "$mock" --script "$project/examples/script.json" --port-file "$project/mock.url" &
        mock_pid=$!
        for _ in $(seq 100); do [[ -s "$project/mock.url" ]] && break; sleep 0.05; done
        url="$(cat "$project/mock.url")"
        sed -i "s|base_url = \"local\"|base_url = \"$url\"|" "$project/examples/agentctl.toml"
        cd "$project/examples"
        if [[ $pass == trace ]]; then
            strace -f -c -e trace=fdatasync,fsync,rename,renameat2 -o "$project/strace.txt" \
                "$binary" run ops-devops --task T-154 >/dev/null 2>"$project/stderr" \
                || { cat "$project/stderr"; exit 1; }
        else
            /usr/bin/time -f "%U %S" -o "$project/time.txt" \
                "$binary" run ops-devops --task T-154 >/dev/null 2>"$project/stderr" \
                || { cat "$project/stderr"; exit 1; }
        fi
        cd "$repository"
        kill "$mock_pid"; wait "$mock_pid" 2>/dev/null || true
    done
    count() {
        awk -v name="$1" '$NF == name { calls = $4 } END { print calls + 0 }' \
            "$work/p-$turns-trace/strace.txt"
    }
    per() { awk -v total="${1:-0}" -v turns="$turns" 'BEGIN { printf "%.2f", total / turns }'; }
    renames=$(( $(count rename) + $(count renameat2) ))
    cpu=$(awk -v turns="$turns" '{ printf "%.3f", ($1 + $2) * 1000 / turns }' "$work/p-$turns-time/time.txt")
    printf '%-7s %-12s %-10s %-10s %-14s\n' "$turns" "$(per "$(count fdatasync)")" \
        "$(per "$(count fsync)")" "$(per "$renames")" "$cpu"
done

#!/usr/bin/env bash
# The quickstart: build agentctl, start a real local model (SmolLM2-135M via llama-cpp-python;
# the first time builds it, about 5-6 minutes), and run the DevOps persona on task T-154 in
# examples/, then show and verify the audit log.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cargo build --release --bin agentctl
scripts/local-model.sh up
agentctl="$root/target/release/agentctl"
cd examples
set +e
"$agentctl" run ops-devops --task T-154
status=$?
set -e
echo "agentctl run exited with $status (0 finished, 1 failed or a limit was hit, 3 paused for a human)" >&2
"$agentctl" audit show --task T-154
"$agentctl" audit verify

#!/usr/bin/env bash
# The quickstart: build agentctl, start a real local model (scripts/local-model.sh; the first
# time builds the server, a few minutes), and run the DevOps persona on task T-154 in a fresh
# copy of examples/, then show and verify the audit log.
#
# The demo never runs inside the repository: it copies examples/ and the persona library into
# a new directory each time (printed at the start; AGENTCTL_QUICKSTART_DIR chooses it), so the
# repository's tests see exactly the committed example and a second quickstart starts clean.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cargo build --release --locked --bin agentctl
scripts/local-model.sh up
agentctl="$root/target/release/agentctl"

demo="${AGENTCTL_QUICKSTART_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/agentctl-quickstart.XXXXXX")}"
mkdir -p "$demo"
if [ -e "$demo/examples" ]; then
    echo "quickstart: $demo/examples already exists; choose an empty AGENTCTL_QUICKSTART_DIR" >&2
    exit 2
fi
# Only what git tracks: never a previous run's AUDIT_LOG.md or .agentctl/.
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z -- personas contexts templates prompts examples | xargs -0 cp --parents -t "$demo"
else
    cp -r personas contexts templates prompts examples "$demo/"
    rm -rf "$demo/examples/.agentctl" "$demo/examples/AUDIT_LOG.md"
fi
echo "quickstart: running in $demo/examples (delete it when done)" >&2
cd "$demo/examples"
set +e
"$agentctl" run ops-devops --task T-154
status=$?
set -e
echo "agentctl run exited with $status (0 finished, 1 failed or a limit was hit, 3 paused for a human)" >&2
"$agentctl" audit show --task T-154
"$agentctl" audit verify
echo "quickstart: the project is in $demo/examples; try 'cd $demo/examples && $agentctl runs'" >&2

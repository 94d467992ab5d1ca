#!/usr/bin/env bash
# The quickstart: build agentctl, start a real local model (scripts/local-model.sh; the first
# time builds llama-server, about 6 minutes), and run the DevOps persona on task T-154 in a
# fresh copy of examples/, then show and verify the audit log.
#
# The model: qwen2.5-coder-1.5b when it is installed (it reads files and follows the task),
# otherwise the tiny default smollm2 (it rarely gets a task done). Install the capable
# one once with `scripts/local-model.sh install --model qwen2.5-coder-1.5b` (1.1 GB);
# AGENTCTL_QUICKSTART_MODEL=smollm2 forces the small one.
#
# The demo never runs inside the repository: it copies examples/ and the persona library into
# a new directory each time (printed at the start; AGENTCTL_QUICKSTART_DIR chooses it), so the
# repository's tests see exactly the committed example and a second quickstart starts clean.
#
# It builds the debug profile, which the README's test command (`cargo test`) builds too, so
# the two commands share one compile: the release profile optimises the whole program at once
# (docs/DECISIONS.md, "The release build") and takes several times longer to build, for start-up
# CPU a demo does not notice. `cargo install --locked --path .` gives the optimised binary.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cargo build --locked --bin agentctl
model="${AGENTCTL_QUICKSTART_MODEL:-}"
if [ -z "$model" ]; then
    if scripts/local-model.sh installed qwen2.5-coder-1.5b; then
        model="qwen2.5-coder-1.5b"
    else
        model="smollm2"
        echo "quickstart: using the tiny model smollm2: it rarely gets a task done." >&2
        echo "quickstart: for a model that reads the files and follows the task, install it once (1.1 GB):" >&2
        echo "quickstart:   scripts/local-model.sh install --model qwen2.5-coder-1.5b" >&2
    fi
fi
scripts/local-model.sh up --model "$model"
agentctl="$root/target/debug/agentctl"

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
# The example config names the default model; serve the demo copy with the one that runs.
if [ "$model" != smollm2 ]; then
    sed -i -e "s/^model = \"smollm2\"$/model = \"$model\"/" \
        -e "s/^\"gpt-4.1-mini\" = \"smollm2\"$/\"gpt-4.1-mini\" = \"$model\"/" "$demo/examples/agentctl.toml"
fi
echo "quickstart: running in $demo/examples with model $model (delete it when done)" >&2
cd "$demo/examples"
set +e
"$agentctl" run ops-devops --task T-154
status=$?
set -e
echo "agentctl run exited with $status (0 finished, 1 failed or a limit was hit, 3 paused for a human)" >&2
"$agentctl" audit show --task T-154
"$agentctl" audit verify
echo "quickstart: the project is in $demo/examples; try 'cd $demo/examples && $agentctl runs'" >&2

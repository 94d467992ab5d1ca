#!/usr/bin/env bash
# Runs the run-ownership tests (concurrent resumes, resume during a live run, SIGKILL of the
# driver, single-use decisions) many times: a race that loses once in twenty is still a race.
# Usage: scripts/concurrency-loop.sh [ROUNDS]   (default 20)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

rounds="${1:-20}"
# Build once; every round then only runs the test binary.
cargo test --locked --test run_ownership --no-run --quiet
for round in $(seq 1 "$rounds"); do
  if ! output="$(cargo test --locked --quiet --test run_ownership -- \
      concurrent live_run sigkill taken_once open_chat 2>&1)"; then
    printf '%s\n' "$output"
    printf 'run-ownership tests failed in round %s of %s\n' "$round" "$rounds" >&2
    exit 1
  fi
done
printf 'run-ownership tests passed %s times in a row\n' "$rounds"

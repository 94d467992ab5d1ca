#!/usr/bin/env bash
# Loads an `agentctl audit export --html` page in a real headless browser and prints, as JSON,
# what the page shows (tests/audit_review.rs asserts on it). Playwright (playwright-core from
# npm) drives Debian's chromium; both are installed outside the repository.
#
#   scripts/browser-test.sh install      install (idempotent); exit 3 when npm or chromium is unavailable
#   scripts/browser-test.sh run PAGE     print what PAGE shows; exit 3 with SKIPPED when not installed
#   scripts/browser-test.sh dir          print the install directory (AGENTCTL_BROWSER_DIR overrides it)
#
# CHROMIUM overrides the browser binary (default: chromium on PATH, then /usr/bin/chromium).
set -euo pipefail

dir="${AGENTCTL_BROWSER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/agentctl/browser}"
package="playwright-core@1.65.1"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

chromium_path() {
    if [ -n "${CHROMIUM:-}" ]; then echo "$CHROMIUM"; return; fi
    command -v chromium 2>/dev/null || { [ -x /usr/bin/chromium ] && echo /usr/bin/chromium; } || true
}

installed() {
    [ -f "$dir/node_modules/playwright-core/package.json" ] && [ -n "$(chromium_path)" ]
}

install() {
    if [ -z "$(chromium_path)" ]; then
        if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
            echo "browser-test: installing chromium (apt-get)" >&2
            if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >&2; then
                echo "SKIPPED: chromium could not be installed with apt-get (is the Debian mirror reachable?)" >&2
                exit 3
            fi
        else
            echo "SKIPPED: chromium is not installed (apt-get install chromium, or set CHROMIUM)" >&2
            exit 3
        fi
    fi
    if [ -f "$dir/node_modules/playwright-core/package.json" ]; then
        echo "browser-test: already installed in $dir" >&2
        return 0
    fi
    command -v npm >/dev/null || { echo "SKIPPED: npm is not installed" >&2; exit 3; }
    mkdir -p "$dir"
    echo "browser-test: installing $package (npm) into $dir" >&2
    if ! (cd "$dir" && npm install --no-audit --no-fund --silent "$package" >&2); then
        echo "SKIPPED: npm install $package failed (is the npm registry reachable?)" >&2
        exit 3
    fi
    installed || { echo "browser-test: installed, but playwright-core is not where expected in $dir" >&2; exit 1; }
    echo "browser-test: installed in $dir" >&2
}

case "${1:-}" in
    install) install ;;
    dir) echo "$dir" ;;
    run)
        page="${2:?usage: scripts/browser-test.sh run PAGE}"
        if ! installed; then
            echo "SKIPPED: playwright-core or chromium is not installed; run scripts/browser-test.sh install" >&2
            exit 3
        fi
        profile="$(mktemp -d "${TMPDIR:-/tmp}/agentctl-browser.XXXXXX")"
        trap 'rm -rf "$profile"' EXIT
        NODE_PATH="$dir/node_modules" CHROMIUM="$(chromium_path)" PROFILE="$profile" \
            node "$here/browser-check.cjs" "$page"
        ;;
    *)
        echo "usage: scripts/browser-test.sh install|run PAGE|dir" >&2
        exit 2
        ;;
esac

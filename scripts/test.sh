#!/usr/bin/env bash
# Install everything the test suite needs on a fresh Debian machine, then run the whole suite.
# Used by CI (.ci/run) and by the README's second command.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v bwrap >/dev/null 2>&1 || need_apt+=(bubblewrap)
[ -x /usr/games/cowsay ] || command -v cowsay >/dev/null 2>&1 || need_apt+=(cowsay)
command -v git >/dev/null 2>&1 || need_apt+=(git)
command -v podman >/dev/null 2>&1 || need_apt+=(podman)
command -v runc >/dev/null 2>&1 || need_apt+=(runc)
command -v busybox >/dev/null 2>&1 || need_apt+=(busybox-static)
# JupyterLab browser tests (Playwright drives Debian's Chromium; no browser download)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
# the lab extension is built from source by `pip install -e .` (jlpm, Node 20 + the npm registry)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs npm)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "note: missing ${need_apt[*]} (run as root or install them) - related tests will skip" >&2
  fi
fi

# a lab extension development link into another checkout would break the install (see the script)
bash scripts/stale_labext_link.sh "$(python3 -c 'import sys; print(sys.prefix)')" .
python3 -m pip install -q --disable-pip-version-check -e ".[test]"

# A private state directory so the suite never touches the user's runs.
export JUPYTER_FLOW_HOME="${JUPYTER_FLOW_HOME:-$(mktemp -d)}"
# one worker more than cores: the minutes-long conformance examples (started first) mostly sleep
workers="${PYTEST_WORKERS:-$(python3 -c 'import os; print((os.cpu_count() or 2) + 1)')}"
# loadgroup: tests marked xdist_group (the JupyterLab browser tests) share one worker and one lab
exec python3 -m pytest -n "$workers" --dist loadgroup -q "$@"

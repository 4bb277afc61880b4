#!/usr/bin/env bash
# Remove the environment's jupyter-flow lab extension link when it points anywhere but CHECKOUT.
#
# labextension/README.md's development recipe links <prefix>/share/jupyter/labextensions/jupyter-flow
# to a checkout's build output. The link outlives that checkout (another clone, a removed worktree),
# and `pip install` then writes the extension through it, or fails on it (no such file ...
# build_log.json). A real directory, or a link to CHECKOUT's own build output, is left alone.
#
# usage: stale_labext_link.sh PREFIX CHECKOUT
set -euo pipefail
ext="$1/share/jupyter/labextensions/jupyter-flow"
own="$(cd "$2" && pwd -P)/jupyter_flow/labextension"
if [ -L "$ext" ] && [ "$(readlink -f "$ext" || true)" != "$own" ]; then
  echo "note: removing the stale link $ext -> $(readlink "$ext"); pip installs a copy" >&2
  rm -f "$ext"
fi

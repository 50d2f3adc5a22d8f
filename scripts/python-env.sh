#!/usr/bin/env bash
# The Python virtualenv of the compatibility tests (the real Prefect client and worker, and the
# other Python peers): creates .venv (FLOWPLANE_VENV overrides) and installs every pinned
# requirements/*.txt into it. Does nothing when the pins have not changed since the last run.
# Exit 1 with a line on stderr when python3 or the package index is unavailable.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${FLOWPLANE_VENV:-.venv}"
shopt -s nullglob
files=(requirements/*.txt)
if [ ${#files[@]} -eq 0 ]; then exit 0; fi
if ! command -v python3 >/dev/null 2>&1; then
  echo "python-env: python3 is not installed" >&2
  exit 1
fi

stamp="$venv/.flowplane-requirements"
want=$( (python3 --version; cat "${files[@]}") | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$venv/bin/python" ]; then exit 0; fi

echo "python-env: installing ${files[*]} into $venv" >&2
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip >&2
# One resolver run over every file, so no file's pins can silently replace another's.
args=()
for f in "${files[@]}"; do args+=(-r "$f"); done
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${args[@]}" >&2
echo "$want" >"$stamp"

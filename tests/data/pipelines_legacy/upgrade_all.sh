#!/bin/sh
# Rewrite every legacy fixture with podpac-exec's upgrader (<name>.upgraded.json); then run
# /work/podpac-ref/bin/python tests/data/podpac_reference/pipelines_generate.py so PODPAC 4.0.5
# records what it makes of each (tests/data/podpac_reference/pipelines_legacy.json).
set -e
cd "$(dirname "$0")"
for f in v*.json; do
    case "$f" in *.coords.json|*.upgraded.json) continue ;; esac
    ../../../.venv/bin/python -m podpac_exec.cli.main upgrade "$f" -o "${f%.json}.upgraded.json" 2>/dev/null
done

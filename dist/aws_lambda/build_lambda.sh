#!/usr/bin/env bash
# Build the AWS Lambda zips from this source tree: PODPAC's dist/aws/build_lambda.sh, without Docker.
#
#   dist/aws_lambda/build_lambda.sh [podpac-exec aws package options]
#   dist/aws_lambda/build_lambda.sh --architecture arm64 --runtime python3.13
#   dist/aws_lambda/build_lambda.sh --deps-mode layers
#
# Writes build/aws_lambda/podpac_dist.zip (function code), podpac_deps.zip (dependencies, staged
# on S3 and unpacked into /tmp at cold start) or podpac_layer_N.zip (--deps-mode layers), and
# manifest.json. The CLI is the one in $PODPAC_EXEC, else .venv/bin/podpac-exec, else on PATH.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
default_cli=podpac-exec
[[ -x .venv/bin/podpac-exec ]] && default_cli=.venv/bin/podpac-exec
cli="${PODPAC_EXEC:-$default_cli}"

# A later --output-dir among the arguments wins (argparse keeps the last one).
exec "$cli" aws package --output-dir build/aws_lambda "$@"

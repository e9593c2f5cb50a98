#!/usr/bin/env bash
# Stage the zips built by build_lambda.sh in S3: PODPAC's dist/aws/upload_lambda.sh.
#
#   BUCKET=my-bucket PREFIX=podpac-exec dist/aws_lambda/upload_lambda.sh [podpac-exec aws build options]
#
# Uploads build/aws_lambda/podpac_dist.zip and podpac_deps.zip to
#   s3://$BUCKET/$PREFIX/artifacts/podpac_dist.zip
#   s3://$BUCKET/$PREFIX/artifacts/podpac_deps.zip
# through `podpac-exec aws build --upload-only` (boto3's credential chain; nothing else is
# created or changed). BUCKET and PREFIX default to the aws_lambda.bucket / aws_lambda.prefix
# settings. Other zips: --dist-zip PATH, --deps-zip PATH, --layer-zip PATH (repeatable).
# A function can then be built from these objects:
#   podpac-exec aws build --from-s3 --set aws_lambda.function_source_bucket=$BUCKET \
#     --set aws_lambda.function_source_dist_key=$PREFIX/artifacts/podpac_dist.zip \
#     --set aws_lambda.function_source_dependencies_key=$PREFIX/artifacts/podpac_deps.zip
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
default_cli=podpac-exec
[[ -x .venv/bin/podpac-exec ]] && default_cli=.venv/bin/podpac-exec
cli="${PODPAC_EXEC:-$default_cli}"

args=(aws build --upload-only)
if [[ -n "${BUCKET:-}" ]]; then args+=(--set "aws_lambda.bucket=$BUCKET"); fi
if [[ -n "${PREFIX:-}" ]]; then args+=(--set "aws_lambda.prefix=$PREFIX"); fi
exec "$cli" "${args[@]}" "$@"

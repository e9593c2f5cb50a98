"""The array wire format (DESIGN.md section 6): one import for both directions.

The format and its checks are in :mod:`.format`, encoding in :mod:`.encode`, decoding in
:mod:`.decode`; reading a whole Lambda response's bytes is :mod:`.envelope`'s job.
"""

from __future__ import annotations

from podpac_exec.backends.aws_lambda.wire.decode import decode_array, decode_result
from podpac_exec.backends.aws_lambda.wire.encode import encode_array, encode_result
from podpac_exec.backends.aws_lambda.wire.format import (
    COMPRESSIONS,
    DEFAULT_MAX_BYTES,
    ENCODING,
    CodecError,
    check_dtype,
)

__all__ = [
    "CodecError",
    "check_dtype",
    "ENCODING",
    "COMPRESSIONS",
    "DEFAULT_MAX_BYTES",
    "encode_array",
    "decode_array",
    "encode_result",
    "decode_result",
]

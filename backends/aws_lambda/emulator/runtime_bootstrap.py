"""The Lambda python runtime inside one emulated container.

Run as a script by an isolated interpreter (``-I -S``: no site-packages, no PYTHON* variables),
so it uses the standard library only and must stay compatible with every python Lambda runtime.
The server talks to it over two pipes with frames of ``!II`` (header length, body length), a
JSON header and a raw body:

- after init it sends ``{"type": "ready", "init_error": null | {...}}``;
- for each ``{"request_id", "deadline_ms", ...}`` + event bytes it answers
  ``{"ok": bool, "max_rss_kb": int}`` + the response (or error) JSON.

The handler's stdout/stderr are the container's log file, opened by the server.
"""

from __future__ import annotations

import decimal
import importlib
import json
import logging
import os
import resource
import signal
import struct
import sys
import time
import traceback

FRAME = struct.Struct("!II")
BOOTSTRAP_FILE = os.path.abspath(__file__)


def read_exact(fd, n):
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def read_frame(fd):
    head = read_exact(fd, FRAME.size)
    if head is None:
        return None
    hlen, blen = FRAME.unpack(head)
    header = read_exact(fd, hlen) if hlen else b"{}"
    body = read_exact(fd, blen) if blen else b""
    if header is None or body is None:
        return None
    return json.loads(header), body


def write_frame(fd, header, body=b""):
    raw = json.dumps(header).encode()
    view = memoryview(FRAME.pack(len(raw), len(body)) + raw + body)
    while view:
        view = view[os.write(fd, view) :]


class LambdaContext:
    """The ``context`` argument of a handler, with the attributes the python runtime provides."""

    def __init__(self, header):
        env = os.environ
        self.aws_request_id = header["request_id"]
        self.invoked_function_arn = header["invoked_function_arn"]
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.client_context = header.get("client_context")
        self.identity = None
        self._deadline_ms = header["deadline_ms"]

    def get_remaining_time_in_millis(self):
        return max(int(self._deadline_ms - time.time() * 1000), 0)

    def log(self, msg):
        sys.stdout.write(str(msg))


class _RequestIdFilter(logging.Filter):
    request_id = ""

    def filter(self, record):
        record.aws_request_id = self.request_id
        return True


def setup_logging():
    """The runtime's log format on the root logger (level left to the function, as Lambda does)."""
    handler = logging.StreamHandler(sys.stdout)
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s", "%Y-%m-%dT%H:%M:%S"
    )
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    flt = _RequestIdFilter()
    handler.addFilter(flt)
    logging.getLogger().addHandler(handler)
    return flt


def error_result(exc, request_id, error_type=None, message=None):
    """The error document of the python runtime: errorMessage, errorType, requestId, stackTrace."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.abspath(f.filename) != BOOTSTRAP_FILE]
    return {
        "errorMessage": str(exc) if message is None else message,
        "errorType": error_type or type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(frames),
    }


def log_error(doc):
    lines = "".join(doc["stackTrace"])
    sys.stdout.write(f"[ERROR] {doc['errorType']}: {doc['errorMessage']}\nTraceback (most recent call last):\n{lines}")


def load_handler(spec):
    """(handler, None) or (None, error document), with the runtime's error types for each failure."""
    try:
        modname, fname = spec.rsplit(".", 1)
    except ValueError as e:
        return None, error_result(e, "", "Runtime.MalformedHandlerName", f"Bad handler '{spec}': {e}")
    try:
        if modname.split(".")[0] in sys.builtin_module_names:
            raise ImportError(f"Cannot use built-in module {modname} as a handler module")
        module = importlib.import_module(modname.replace("/", "."))
    except ImportError as e:
        return None, error_result(e, "", "Runtime.ImportModuleError", f"Unable to import module '{modname}': {e}")
    except SyntaxError as e:
        return None, error_result(e, "", "Runtime.UserCodeSyntaxError", f"Syntax error in module '{modname}': {e}")
    except Exception as e:
        return None, error_result(e, "")
    handler = getattr(module, fname, None)
    if handler is None:
        doc = {
            "errorMessage": f"Handler '{fname}' missing on module '{modname}'",
            "errorType": "Runtime.HandlerNotFound",
            "requestId": "",
            "stackTrace": [],
        }
        return None, doc
    return handler, None


def _json_default(o):
    if isinstance(o, decimal.Decimal):
        return float(o)
    raise TypeError(f"Object of type {type(o).__name__} is not JSON serializable")


def run_one(handler, init_error, header, payload, flt):
    """(ok, body) for one invocation."""
    request_id = header["request_id"]
    flt.request_id = request_id
    os.environ["_X_AMZN_TRACE_ID"] = header.get("trace_id", "")
    if init_error is not None:
        doc = dict(init_error, requestId=request_id)
        log_error(doc)
        return False, json.dumps(doc).encode()
    try:
        event = json.loads(payload) if payload else {}
        result = handler(event, LambdaContext(header))
    except Exception as e:
        doc = error_result(e, request_id)
        log_error(doc)
        return False, json.dumps(doc).encode()
    if isinstance(result, (bytes, bytearray)):  # awslambdaric's marshaller passes bytes through
        return True, bytes(result)
    try:
        return True, json.dumps(result, default=_json_default, ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError) as e:
        doc = error_result(e, request_id, "Runtime.MarshalError", f"Unable to marshal response: {e}")
        log_error(doc)
        return False, json.dumps(doc).encode()


def max_rss_kb():
    """Peak resident memory in KB. ``ru_maxrss`` survives exec (it would count the server that forked us),
    so this process's own peak comes from VmHWM; subprocesses from ``RUSAGE_CHILDREN``."""
    own = 0
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    own = int(line.split()[1])
                    break
    except OSError:
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return max(own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def main(argv):
    cfg = json.loads(argv[1])
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C on the server's terminal: the server stops us
    req_fd, resp_fd = cfg["req_fd"], cfg["resp_fd"]
    sys.path[:0] = [cfg["task_root"]] + cfg["layer_paths"]
    sys.path.append(cfg["runtime_packages"])
    os.chdir(cfg["task_root"])
    sys.stdout = os.fdopen(1, "w", buffering=1, encoding="utf-8", errors="backslashreplace", closefd=False)
    flt = setup_logging()
    handler, init_error = load_handler(cfg["handler"])
    if init_error is not None:
        log_error(init_error)
    sys.stdout.flush()
    sys.stderr.flush()
    write_frame(resp_fd, {"type": "ready", "init_error": init_error, "max_rss_kb": max_rss_kb()})
    while True:
        frame = read_frame(req_fd)
        if frame is None:  # the server closed the pipe: the container is being stopped
            return 0
        header, payload = frame
        ok, body = run_one(handler, init_error, header, payload, flt)
        sys.stdout.flush()
        sys.stderr.flush()
        write_frame(resp_fd, {"ok": ok, "max_rss_kb": max_rss_kb()}, body)


if __name__ == "__main__":
    sys.exit(main(sys.argv))

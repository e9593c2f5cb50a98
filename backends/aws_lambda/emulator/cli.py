"""``podpac-exec emulator start``: the emulator server in the foreground."""

from __future__ import annotations

import sys

from .config import DUMMY_CREDENTIALS


def start_command(port: int | None = None) -> int:
    """Serve on 127.0.0.1 (``port`` or an ephemeral one), print the variables to export, run until interrupted."""
    from . import server  # moto and werkzeug are imported only now

    settings = server.settings_from(server.parse_args(["--port", str(port or 0)]))
    httpd, app = server.make_emulator_server(settings, "127.0.0.1", port or 0)
    app.prewarm()
    endpoint = app.invoker.endpoint_url

    print(f"# podpac-exec AWS emulator at {endpoint} (Ctrl-C to stop); export these:")
    for key, value in {"AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": "us-east-1", **DUMMY_CREDENTIALS}.items():
        print(f"export {key}={value}")
    sys.stdout.flush()
    return server.serve(httpd, app, settings, remove_state_dir=True)

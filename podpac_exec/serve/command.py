"""``podpac-exec serve PIPELINE...``: the CLI of the server, added through ``podpac_exec_add_commands``.

Importing this module needs nothing beyond the core; the ``serve`` extra is imported when the
command runs.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from podpac_exec.plugins.manager import hookimpl

LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_WORKERS = 64


@hookimpl
def podpac_exec_add_commands(subparsers: Any) -> None:
    """``podpac-exec serve``."""
    p = subparsers.add_parser(
        "serve",
        help="serve pipelines as map tiles, WMS/WCS and a map page",
        description="Serve the named pipelines over HTTP: XYZ/WMTS tiles, TileJSON, WMS 1.3.0, WCS 1.0.0, "
        "/point and a map page at /. Only the pipelines given here are served. Prints the URL.",
    )
    p.add_argument("pipelines", nargs="+", metavar="PIPELINE",
                   help="a pipeline JSON file, served under its file name, or NAME=FILE")
    p.add_argument("--backend", default=None, help="backend that computes every value (default: settings 'backend')")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=0, help="port to bind; 0 picks a free one (default)")
    p.add_argument("--workers", type=_workers, default=1,
                   help="server processes sharing the port, each with its own memory cache (default 1; "
                   "a map page loads 6 tiles at once, which one process answers on one core)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a setting: serve.* ones configure the server (--set serve.max_zoom=12), others go to "
                   "every evaluation (a backend's section, --set BACKEND.KEY=VALUE); the API key (serve.api_token) belongs "
                   "in the environment or a settings file, not on the command line")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args: argparse.Namespace) -> int:
    from podpac_exec.cli.arguments import CommandInputError, parse_set_options
    from podpac_exec.cli.exit_codes import EXIT_OK

    try:
        from podpac_exec.serve.server import serve_forever
        from podpac_exec.serve.workers import ServeArguments, build_app, serve_workers
    except ModuleNotFoundError as exc:
        raise CommandInputError(
            f"podpac-exec serve needs the serve extra ({exc.name} is missing): pip install 'podpac-exec[serve]'",
            field="serve",
        ) from None

    overrides = parse_set_options(args.set)
    if "serve.api_token" in overrides:
        raise CommandInputError("serve.api_token does not belong on the command line (ps shows it): set "
                                "PODPAC_EXEC_SERVE__API_TOKEN or put it in a settings file", field="--set")
    arguments = ServeArguments(args.pipelines, args.backend, overrides)
    app = build_app(arguments)  # a pipeline that cannot give a lat/lon map fails here, before binding
    ctx = app.state.context
    config, registry = ctx.config, ctx.registry
    if args.host not in LOOPBACK and not config.api_token:
        print(f"podpac-exec serve: warning: listening on {args.host} without an API key (set serve.api_token)",
              file=sys.stderr)

    def started(url: str) -> None:
        print(f"{url}/", flush=True)
        processes = f" in {args.workers} processes" if args.workers > 1 else ""
        print(f"podpac-exec serve: {', '.join(registry.names())} on the {config.backend} backend{processes}; "
              f"WMS {url}/wms, WCS {url}/wcs, tiles {url}/tilejson.json (Ctrl-C stops)", file=sys.stderr, flush=True)

    try:
        if args.workers > 1:
            serve_workers(arguments, args.host, args.port, args.workers, started)
        else:
            serve_forever(app, args.host, args.port, started)
    except KeyboardInterrupt:
        pass
    return EXIT_OK


def _workers(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(f"expected 1..{MAX_WORKERS} processes, got {text!r}")
    return int(text)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port 0..65535, got {text!r}")
    return int(text)

"""The plugin system: hook specifications, the plugin manager and backend registration records."""

from podpac_exec.plugins.manager import hookimpl

__all__ = ["hookimpl"]

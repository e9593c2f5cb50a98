"""An example third-party podpac-exec plugin (see docs/plugin-hooks.md)."""

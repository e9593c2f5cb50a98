"""The ``aws``, ``aws package`` and ``emulator`` CLI commands, added through the commands hook."""

"""The ``podpac-exec`` command line: argument parsing, outputs, plots and the timeline."""

"""Speed and memory figures, each a ratio against a baseline measured in the same run.

Run ``python -m benchmarks [NAME ...]``. Each module ``benchmarks/<NAME>.py`` defines
``run() -> Iterable[dict]`` yielding records made with :func:`benchmarks.harness.record`.
"""

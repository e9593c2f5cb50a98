"""In-process backend: evaluates pipelines in the calling Python process."""

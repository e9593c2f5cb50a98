"""Batch jobs: a spec, a resumable zarr store, the run over a dask.distributed cluster, and the CLI command."""

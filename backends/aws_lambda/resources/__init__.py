"""Deployment: one module per AWS service, and the idempotent build that converges them."""

"""Deployment: the function zip and the dependencies zip, built without Docker."""

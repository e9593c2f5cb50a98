"""AWS Lambda backend: packaging, staging, build, invocation and an offline emulator."""

"""pytest fixtures for the local OPUS-compatible server (registered as a pytest11 entry point)."""

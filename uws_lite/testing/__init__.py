"""A local, OPUS-compatible UWS server for tests and offline demos (see server.py)."""

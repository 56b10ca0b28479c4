"""uws_call_expres: run ExPRES on demand (placeholder; implemented under issue 3)."""

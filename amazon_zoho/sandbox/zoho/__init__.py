"""Simulated zoho services (filled in by the zoho sandbox work)."""


def register(app) -> None:
    return None

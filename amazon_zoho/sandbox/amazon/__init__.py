"""Simulated amazon services (filled in by the amazon sandbox work)."""


def register(app) -> None:
    return None

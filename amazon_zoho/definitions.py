"""This code location: the project's Definitions for the settings of this process's environment, read once here.

The clock is pinned here too (AMAZON_ZOHO_NOW), once per process: it is the process's, not one location's.
"""

from . import clock
from .build import build_defs
from .settings import Settings

settings = Settings.from_env()
if settings.now:
    clock.pin(settings.now)

defs = build_defs(settings)

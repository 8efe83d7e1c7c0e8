"""The one simulated Zoho org per sandbox: its field catalog, record store and API limits."""

from __future__ import annotations

import threading

from .catalog import Catalog
from .limits import Limits
from .repo import Repo


class Org:
    def __init__(self, app):
        self.app = app
        self.catalog = Catalog(app.store, text_cap=lambda: app.config.zoho_text_field_length)
        self.repo = Repo(app.store, self.catalog)
        self.limits = Limits(app)
        # Writes are serialized so two parallel upserts of one key cannot both insert (Zoho enforces
        # unique fields server-side the same way).
        self.write_lock = threading.Lock()
        app.on_reset(self.catalog.invalidate)
        app.on_config_change(self.catalog.invalidate)


def org_of(app) -> Org:
    """Created by whichever Zoho module registers first; every module shares it."""
    if getattr(app, "zoho_org", None) is None:
        app.zoho_org = Org(app)
    return app.zoho_org

"""What Zoho keeps of what we pushed: buyer details cleared after their retention, and unmapped fields cleared.

Buyer PII. pii_retention.py deletes pii.order_contacts rows AMAZON_ZOHO_PII_RETENTION_DAYS after delivery, and the
next push of a sales order leaves its address out; but a merchant-fulfilled buyer's Zoho Contact is pushed only
when one of its orders is, so its name, e-mail and street stayed in Zoho for good. Amazon's Data Protection Policy
limits how long a seller keeps buyer PII wherever it is stored (shared/reference/API-FACTS.md §12b), Zoho included.
So once every order of a contact has passed the retention, the contact's fields fed by buyer details are cleared in
Zoho with the client's update (one call per 100 contacts). Last_Name is mandatory in Zoho Contacts: it gets the
placeholder contacts_payload.sql gives a buyer without a name. A later order brings fresh details with a retention
of their own: the contact is pushed again, and cleared again once those expire.

Unmapped fields. Deleting a line of mapping.yaml stops a push from writing that field, but Zoho keeps the last value
written. Each push records the fields it writes (ops.zoho_mapped_fields); a field recorded before and mapped no more
is set to null (the value pending.sql sends for an empty column, and what the Zoho sandbox stores as cleared) in
every record of the module we hold an id for, then dropped from the record. Nothing is written for a field the
ledger never saw (fields unmapped before this ledger existed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb

from .. import clock
from ..zoho.budget import CreditBudget
from ..zoho.client import ZohoCrmClient
from ..zoho.mapping import Mapping
from ..zoho.steps import PREPARE
from .steps import ZOHO_CONTACTS_EXPIRED

# Sources of Contacts fields that carry a buyer's details (zoho/sql/contacts_payload.sql); country and the order
# dates say nothing about a person on their own and stay.
PII_SOURCES = ("first_name", "last_name", "email", "street", "city", "state", "postal_code")
# contacts_payload.sql's name for a buyer without one; Zoho refuses an empty Last_Name.
ANONYMOUS_LAST_NAME = "Amazon Buyer"
BATCH = 100  # records per update call (ZohoCrmClient.update's limit)
CONTACT_KEYS = next(s for s in PREPARE if s.sql_file == "contact_keys.sql")


@dataclass
class Cleared:
    records: int = 0
    fields: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def scrub_expired_contacts(conn: duckdb.DuckDBPyConnection, client: ZohoCrmClient, mapping: Mapping, salt: str,
                           run_id: str | None, budget: CreditBudget | None = None) -> Cleared:
    """Clears the buyer details of every contact whose orders all passed the retention (see the module doc); the
    credits the updates cost go into the org's ledger through `budget`."""
    contacts = mapping["Contacts"]
    cleared = {name: (ANONYMOUS_LAST_NAME if source == "last_name" else None)
               for name, source in contacts.fields.items() if source in PII_SOURCES}
    outcome = Cleared(fields=sorted(cleared))
    if not cleared:
        return outcome
    CONTACT_KEYS.run(conn, {"policy": mapping.buyers_without_email, "salt": salt})
    expired = ZOHO_CONTACTS_EXPIRED.rows(conn)
    for start in range(0, len(expired), BATCH):
        batch = expired[start : start + BATCH]
        results = client.update("Contacts", [{"id": zoho_id, **cleared} for _, zoho_id in batch])
        done = [(key, zoho_id) for (key, zoho_id), result in zip(batch, results) if result.get("status") == "success"]
        outcome.errors += [f"{key}: {result.get('code')} {result.get('message')}"
                           for (key, _), result in zip(batch, results) if result.get("status") != "success"]
        if done:
            conn.executemany(
                "INSERT OR REPLACE INTO ops.zoho_pii_scrubs (module, record_key, zoho_id, fields, run_id, scrubbed_at)"
                " VALUES ('Contacts', ?, ?, ?, ?, ?)",
                [(key, zoho_id, outcome.fields, run_id, clock.now()) for key, zoho_id in done],
            )
        outcome.records += len(done)
    if budget is not None and expired:
        budget.book(conn, client, run_id)
    return outcome


def clear_unmapped_fields(conn: duckdb.DuckDBPyConnection, client: ZohoCrmClient | None, mapping: Mapping, module: str) -> Cleared:
    """Clears in Zoho the fields of `module` an earlier push wrote and mapping.yaml maps no more; records the
    fields mapped now. With no client (a dry run) nothing is cleared or recorded."""
    mapped = set(mapping[module].fields)
    written = {f for (f,) in conn.execute("SELECT zoho_field FROM ops.zoho_mapped_fields WHERE module = ?", [module]).fetchall()}
    outcome = Cleared(fields=sorted(written - mapped))
    if client is None:
        return outcome
    if outcome.fields:
        ids = [zoho_id for (zoho_id,) in conn.execute(
            "SELECT zoho_id FROM ops.zoho_sync_state WHERE module = ? AND zoho_id IS NOT NULL ORDER BY zoho_id", [module]).fetchall()]
        for start in range(0, len(ids), BATCH):
            results = client.update(module, [{"id": zoho_id, **dict.fromkeys(outcome.fields)} for zoho_id in ids[start : start + BATCH]])
            outcome.records += sum(1 for r in results if r.get("status") == "success")
            outcome.errors += [f"{r.get('code')} {r.get('message')}" for r in results if r.get("status") != "success"]
        if not outcome.errors:
            # Every record cleared: the fields leave the ledger. Otherwise the next push tries them all again.
            conn.execute("DELETE FROM ops.zoho_mapped_fields WHERE module = ? AND zoho_field IN ?", [module, outcome.fields])
    conn.executemany(
        "INSERT OR REPLACE INTO ops.zoho_mapped_fields (module, zoho_field, recorded_at) VALUES (?, ?, ?)",
        [(module, name, clock.now()) for name in sorted(mapped)],
    )
    return outcome

"""What Zoho keeps of what we pushed: buyer details cleared after their retention, and unmapped fields cleared.

Buyer PII. pii_retention.py deletes pii.order_contacts rows AMAZON_ZOHO_PII_RETENTION_DAYS after delivery, and the
next push of a sales order leaves its address out; but a merchant-fulfilled buyer's Zoho Contact is pushed only
when one of its orders is, so its name, e-mail and street stayed in Zoho for good. Amazon's Data Protection Policy
limits how long a seller keeps buyer PII wherever it is stored (shared/reference/API-FACTS.md §12b), Zoho included.
So once no pii.order_contacts row of a contact is left (expiry is read from the pii rows themselves, never from
core.orders: an order quarantined out of core keeps its details, and its contact keeps them too), the contact's
fields fed by buyer details are cleared in Zoho with the client's update (one call per 100 contacts). The same goes
for a sales order's delivery address (street, city, state, postcode of Shipping_* and Billing_*, sales_orders_payload.sql;
the country stays): an order delivered and never changed again is never pushed again, so its address would stay.
A scrubbed record's payload hash is dropped in the same transaction as the scrub is recorded, so a later payload
with details (the order's next version loading after a quarantine) is pushed instead of being judged `unchanged`
against what Zoho held before the scrub. Last_Name is mandatory in Zoho Contacts: it gets the
placeholder contacts_payload.sql gives a buyer without a name. A later order brings fresh details with a retention
of their own: the contact is pushed again, and cleared again once those expire.

Unmapped fields. Deleting a line of mapping.yaml stops a push from writing that field, but Zoho keeps the last value
written. Each push records the fields it writes (ops.zoho_mapped_fields); a field recorded before and mapped no more
is set to null (the value pending.sql sends for an empty column, and what the Zoho sandbox stores as cleared) in
every record of the module we hold an id for, then dropped from the record. Nothing is written for a field the
ledger never saw (fields unmapped before this ledger existed). The records cleared are recorded per field
(ops.zoho_field_clears), so a record Zoho refused is retried alone, not every record of the module again.

Both write under the credit budget as sync.sync_module does: each call is checked against it and booked, and when
the budget or Zoho (LIMIT_REACHED) says no more, what is left is deferred to the next run, logged and counted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from .. import clock
from ..zoho.budget import CreditBudget
from ..zoho.client import AnswerMismatch, CreditsExhausted, ZohoCrmClient, write_cost
from ..zoho.mapping import Mapping
from .steps import SCRUB_CANDIDATES, ZOHO_CONTACTS_EXPIRED, ZOHO_SALES_ORDERS_EXPIRED

# Sources of Contacts fields that carry a buyer's details (zoho/sql/contacts_payload.sql); country and the order
# dates say nothing about a person on their own and stay.
PII_SOURCES = ("first_name", "last_name", "email", "street", "city", "state", "postal_code")
# Sources of Sales_Orders fields that carry the delivery address (zoho/sql/sales_orders_payload.sql; Zoho's
# Sales_Orders fields Shipping_/Billing_ Street, City, State, Code: shared/reference/API-FACTS.md "Sales_Orders
# fields"); the country stays, as on contacts.
ORDER_PII_SOURCES = ("ship_street", "ship_city", "ship_state", "ship_postal_code", "bill_street", "bill_city", "bill_state", "bill_postal_code")
# contacts_payload.sql's name for a buyer without one; Zoho refuses an empty Last_Name.
ANONYMOUS_LAST_NAME = "Amazon Buyer"
BATCH = 100  # records per update call (ZohoCrmClient.update's limit)


@dataclass
class Cleared:
    records: int = 0
    fields: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    deferred: int = 0  # records the credit budget or Zoho's LIMIT_REACHED left for the next run
    notes: list[str] = field(default_factory=list)


def scrub_expired_contacts(conn: duckdb.DuckDBPyConnection, client: ZohoCrmClient, mapping: Mapping, salt: str,
                           run_id: str | None, budget: CreditBudget | None = None) -> Cleared:
    """Clears the buyer details of every contact no pii row is left of (see the module doc); the credits the
    updates cost go into the org's ledger through `budget`, which also bounds them."""
    cleared = {name: (ANONYMOUS_LAST_NAME if source == "last_name" else None)
               for name, source in mapping["Contacts"].fields.items() if source in PII_SOURCES}
    SCRUB_CANDIDATES.run(conn)
    expired = ZOHO_CONTACTS_EXPIRED.rows(conn, {"policy": mapping.buyers_without_email, "salt": salt,
                                                "fields": sorted(cleared)}) if cleared else []
    return _scrub(conn, client, "Contacts", cleared, expired, run_id, budget)


def scrub_expired_sales_orders(conn: duckdb.DuckDBPyConnection, client: ZohoCrmClient, mapping: Mapping, run_id: str | None,
                               budget: CreditBudget | None = None) -> Cleared:
    """Clears the delivery address of every sales order whose pii row is gone (see the module doc)."""
    cleared = dict.fromkeys(sorted(name for name, source in mapping["Sales_Orders"].fields.items() if source in ORDER_PII_SOURCES))
    SCRUB_CANDIDATES.run(conn)
    expired = ZOHO_SALES_ORDERS_EXPIRED.rows(conn, {"fields": sorted(cleared)}) if cleared else []
    return _scrub(conn, client, "Sales_Orders", cleared, expired, run_id, budget)


def _scrub(conn: duckdb.DuckDBPyConnection, client: ZohoCrmClient, module: str, cleared: dict, expired: list[tuple[str, str]],
           run_id: str | None, budget: CreditBudget | None) -> Cleared:
    outcome = Cleared(fields=sorted(cleared))
    if not expired:
        return outcome

    def record(done: list[tuple[str, str]]) -> None:
        # One transaction: the scrub and the payload hash it voids, so the next payload with details is pushed.
        conn.begin()
        conn.executemany(
            "INSERT OR REPLACE INTO ops.zoho_pii_scrubs (module, record_key, zoho_id, fields, run_id, scrubbed_at) VALUES (?, ?, ?, ?, ?, ?)",
            [(module, key, zoho_id, outcome.fields, run_id, clock.now()) for key, zoho_id in done],
        )
        conn.execute("UPDATE ops.zoho_sync_state SET payload_hash = NULL WHERE module = ? AND list_contains(?::VARCHAR[], record_key)",
                     [module, [key for key, _ in done]])
        conn.commit()

    _update(conn, client, budget, run_id, module, [(key, zoho_id, cleared) for key, zoho_id in expired], outcome, record)
    return outcome


def _update(conn: duckdb.DuckDBPyConnection, client: ZohoCrmClient, budget: CreditBudget | None, run_id: str | None, module: str,
            rows: list[tuple[str, str, dict]], outcome: Cleared, record: Callable[[list[tuple[str, str]]], None]) -> None:
    """Updates `rows` (key, Zoho id, changes) 100 per call while the budget allows, handing the (key, id) Zoho accepted
    to `record` after each call. What the budget or Zoho's LIMIT_REACHED leaves is counted in outcome.deferred and
    said in outcome.notes; an answer that does not fit its batch (AnswerMismatch) counts its records as errors,
    retried by the next run, as sync_module does."""
    budget = budget if budget is not None else CreditBudget()
    budget.book(conn, client, run_id)  # what the last 24 hours already used
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        if not budget.allows(write_cost(len(batch))):
            reason = "Zoho answered LIMIT_REACHED" if budget.exhausted else budget.describe()
            _defer(module, len(rows) - start, reason, outcome)
            return
        try:
            results = client.update(module, [{"id": zoho_id, **changes} for _, zoho_id, changes in batch])
        except CreditsExhausted:
            budget.exhausted = True
            budget.book(conn, client, run_id)
            _defer(module, len(rows) - start, "Zoho answered LIMIT_REACHED", outcome)
            return
        except AnswerMismatch:
            budget.book(conn, client, run_id)
            outcome.errors += [f"{key}: ANSWER_MISMATCH Zoho's answer did not fit the batch" for key, _, _ in batch]
            continue
        budget.book(conn, client, run_id)
        done = [(key, zoho_id) for (key, zoho_id, _), result in zip(batch, results) if result.get("status") == "success"]
        outcome.errors += [f"{key}: {result.get('code')} {result.get('message')}"
                           for (key, _, _), result in zip(batch, results) if result.get("status") != "success"]
        if done:
            record(done)
        outcome.records += len(done)


def _defer(module: str, records: int, reason: str, outcome: Cleared) -> None:
    outcome.deferred += records
    outcome.notes.append(f"{records} {module} records left for the next run ({reason})")


def clear_unmapped_fields(conn: duckdb.DuckDBPyConnection, client: ZohoCrmClient | None, mapping: Mapping, module: str,
                          budget: CreditBudget | None = None, run_id: str | None = None) -> Cleared:
    """Clears in Zoho the fields of `module` an earlier push wrote and mapping.yaml maps no more, in the records not
    cleared of them yet, under `budget`; records the fields mapped now. With no client (a dry run) nothing is
    cleared or recorded."""
    mapped = set(mapping[module].fields)
    written = {f for (f,) in conn.execute("SELECT zoho_field FROM ops.zoho_mapped_fields WHERE module = ?", [module]).fetchall()}
    outcome = Cleared(fields=sorted(written - mapped))
    if client is None:
        return outcome
    if outcome.fields:
        # Each record with the unmapped fields it still holds (not cleared by an earlier run).
        todo = conn.execute(
            "SELECT s.record_key, s.zoho_id, list(f.zoho_field ORDER BY f.zoho_field) "
            "FROM ops.zoho_sync_state s CROSS JOIN unnest(?::VARCHAR[]) AS f(zoho_field) "
            "WHERE s.module = ? AND s.zoho_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ops.zoho_field_clears c "
            "    WHERE c.module = s.module AND c.zoho_field = f.zoho_field AND c.zoho_id = s.zoho_id) "
            "GROUP BY ALL ORDER BY s.zoho_id",
            [outcome.fields, module],
        ).fetchall()
        fields_of = {zoho_id: names for _, zoho_id, names in todo}

        def record(done: list[tuple[str, str]]) -> None:
            conn.executemany(
                "INSERT OR REPLACE INTO ops.zoho_field_clears (module, zoho_field, zoho_id, run_id, cleared_at) VALUES (?, ?, ?, ?, ?)",
                [(module, name, zoho_id, run_id, clock.now()) for _, zoho_id in done for name in fields_of[zoho_id]],
            )

        _update(conn, client, budget, run_id, module, [(key, zoho_id, dict.fromkeys(names)) for key, zoho_id, names in todo],
                outcome, record)
        # A field every record was cleared of leaves the ledger; the others are tried again, in the records left.
        conn.execute(
            "DELETE FROM ops.zoho_mapped_fields m WHERE m.module = ? AND m.zoho_field IN ? AND NOT EXISTS ("
            "    SELECT 1 FROM ops.zoho_sync_state s WHERE s.module = m.module AND s.zoho_id IS NOT NULL AND NOT EXISTS ("
            "        SELECT 1 FROM ops.zoho_field_clears c WHERE c.module = m.module AND c.zoho_field = m.zoho_field AND c.zoho_id = s.zoho_id))",
            [module, outcome.fields],
        )
    # A field mapped (again) is written by the push: what an earlier unmapping cleared no longer says anything.
    conn.execute("DELETE FROM ops.zoho_field_clears WHERE module = ? AND (zoho_field IN ? OR zoho_field NOT IN "
                 "(SELECT zoho_field FROM ops.zoho_mapped_fields WHERE module = ?))", [module, sorted(mapped) or [""], module])
    conn.executemany(
        "INSERT OR REPLACE INTO ops.zoho_mapped_fields (module, zoho_field, recorded_at) VALUES (?, ?, ?)",
        [(module, name, clock.now()) for name in sorted(mapped)],
    )
    return outcome

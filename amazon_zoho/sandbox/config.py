"""Knobs of the sandbox: data volume, clocks, token lifetimes and fault rates; and the marketplaces it simulates.

Every knob has a CLI flag, an environment variable (SANDBOX_<NAME>), and can be changed on a running
server with `POST /_sandbox/config` so tests flip faults on and off without restarting it.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from ..amazon import marketplaces as amazon_marketplaces
from ..settings import SANDBOX_MARKETPLACES


class SimulatedMarketplace(NamedTuple):
    """A marketplace the sandbox sells in: Amazon's facts from amazon/marketplaces.csv, and the sandbox's own."""

    country: str
    currency: str
    sales_channel: str
    locale: str  # Faker locale of the buyers' names and addresses
    order_prefix: str  # 3-digit order-id prefix, one of the several Amazon uses there
    tax_rate: Decimal  # VAT or sales tax; it never leaves the sandbox, only the amounts computed with it do
    prices_include_tax: bool  # how the order report (and v0) show amounts: tax inside item/shipping/gift-wrap prices
    proceeds_include_tax: bool  # how Orders API v2026 proceeds show them: TAX inside ITEM/SHIPPING/... (else added)
    decimal_comma: bool  # in settlement files
    posted_date_format: str  # of the settlement file's posted-date column


# What the sandbox needs beyond a marketplace's row in amazon/marketplaces.csv to sell there: id -> (Faker locale,
# order-id prefix, tax rate). To simulate another marketplace, append its line (and its currency to CURRENCIES if
# new); the order numbers marketplaces inside settlement, report and order-item ids, so never reorder.
_SIMULATION = {
    "ATVPDKIKX0DER": ("en_US", "111", "0.0725"),
    "A1PA6795UKMFR9": ("de_DE", "302", "0.19"),
    "A1F83G8C2ARO7P": ("en_GB", "202", "0.20"),
    "A13V1IB3VIYZZH": ("fr_FR", "402", "0.20"),
    "A2EUQ1WTGCTBG2": ("en_CA", "701", "0.13"),
}
# Per currency: the factor shelf prices and FBA fees (drawn in EUR) are converted by, and the monthly
# Professional selling-plan subscription fee.
CURRENCIES: dict[str, tuple[Decimal, Decimal]] = {
    "EUR": (Decimal("1"), Decimal("39.00")),
    "GBP": (Decimal("0.86"), Decimal("25.00")),
    "USD": (Decimal("1.09"), Decimal("39.99")),
    "CAD": (Decimal("1.48"), Decimal("29.99")),
}
# Marketplaces the generator can sell in.
MARKETPLACES: dict[str, SimulatedMarketplace] = {
    m: SimulatedMarketplace(
        row.country_code, row.currency, row.sales_channel, locale, prefix, Decimal(rate),
        row.prices_include_tax, row.proceeds_include_tax, row.decimal_comma, row.posted_date_format,
    )
    for m, (locale, prefix, rate) in _SIMULATION.items()
    for row in (amazon_marketplaces.BY_ID[m],)
}

# Credentials the sandbox accepts; the project's resources use these when no real ones are set.
SANDBOX_SELLER_ID = "A2SANDBOXSELLER1"
LWA_CLIENT_ID = "amzn1.application-oa2-client.sandbox"
LWA_CLIENT_SECRET = "sandbox-lwa-secret"
LWA_REFRESH_TOKEN = "Atzr|sandbox-refresh-token"
ZOHO_CLIENT_ID = "1000.SANDBOXCLIENT"
ZOHO_CLIENT_SECRET = "sandbox-zoho-secret"
ZOHO_REFRESH_TOKEN = "1000.sandbox.refresh"
# The application the sandbox's notifications name as theirs (NotificationMetadata.ApplicationId); Amazon's
# application ids read "amzn1.sp.solution.<id>" (amzn/selling-partner-api-docs#1800).
SANDBOX_APPLICATION_ID = "amzn1.sp.solution.sandbox"
# The one grant code the sandbox's Zoho accounts endpoint exchanges for ZOHO_REFRESH_TOKEN (`make zoho-token`).
ZOHO_GRANT_CODE = "1000.sandbox.grant"


@dataclass
class SandboxConfig:
    seed: int = 42
    orders_per_day: int = 40
    # The project's default marketplaces with no AMAZON_MARKETPLACE_IDS (settings.py), so both sides agree.
    marketplaces: list[str] = field(default_factory=lambda: SANDBOX_MARKETPLACES.split(","))
    # Multiplies every rate-limit refill rate, so a demo needs seconds where Amazon needs hours, with
    # the same bucket arithmetic. 1.0 = Amazon's published rates.
    time_scale: float = 1.0
    rate_limits: bool = True
    lwa_token_ttl: int = 3600
    zoho_token_ttl: int = 3600
    # Seconds a report spends IN_QUEUE and IN_PROGRESS (wall clock, divided by time_scale).
    report_processing_seconds: float = 2.0
    document_url_ttl: int = 300
    zoho_daily_credits: int = 50_000
    # Seconds a Zoho Bulk Write job spends per 1,000 records before it is COMPLETED (wall clock, not scaled by
    # time_scale): at least this long, or longer if writing them takes longer. Zoho publishes no processing time
    # (bulk-write/limitations.html: "asynchronous and the result is not available immediately"); 0.5 s (a full
    # 25,000-record job in 12.5 s) is an assumption, of the order of the 8.8 s the sandbox itself needed per 25,000
    # once its commits were batched (issue 17). Set 0 for no modelled time.
    zoho_bulk_seconds_per_1000_records: float = 0.5
    zoho_concurrency: int = 10
    # Fault knobs: probabilities per request (0..1) unless said otherwise.
    fault_429_rate: float = 0.0
    fault_500_rate: float = 0.0
    fault_slow_rate: float = 0.0
    fault_slow_seconds: float = 5.0
    fault_token_expiry_rate: float = 0.0
    fault_report_fatal_rate: float = 0.0
    fault_report_cancelled_rate: float = 0.0
    fault_malformed_row_rate: float = 0.0
    # Settlements listed a second time under another report id (created an hour later, same file): Amazon can list
    # one settlement under two report ids (issue #13); core must count it once.
    fault_duplicate_settlement_rate: float = 0.0
    # Share of priced order versions that arrive with "proceeds": null (amazon/poison.py: fixed per version).
    fault_null_proceeds_rate: float = 0.0
    fault_zoho_invalid_rate: float = 0.0
    # Zoho write answers (upsert, insert, update of 2+ records) whose `data` array lacks its first result: an
    # answer that cannot be matched to its records by position (issue #14 item 2).
    fault_zoho_short_answer_rate: float = 0.0
    # Zoho record calls answered 200 with an HTML page after the credits were charged, as a proxy in front of the
    # API does (issue #14 item 13).
    fault_zoho_html_200_rate: float = 0.0
    # When > 0, the Zoho org's standard text fields (Product_Name, Last_Name, Subject, Mailing_Street, ...) hold at
    # most this many characters instead of Zoho's defaults (Product_Name 120): titles longer than the field, as a
    # seller with long Amazon titles meets them (issue #14 item 1). Custom fields keep their own lengths.
    zoho_text_field_length: int = 0
    # Downloads whose Content-Type drops the charset, so a Cp1252 order report arrives undeclared.
    fault_undeclared_charset_rate: float = 0.0
    # Downloads (settlement and order report files) re-written as UTF-8 with a byte-order mark, as a spreadsheet
    # re-save writes them; an order report's Content-Type still says Cp1252 (the mark wins, as in a browser).
    fault_report_bom_rate: float = 0.0
    # Order report downloads that declare charset=ISO-8859-1 while their bytes are Cp1252 ("–", "€" in 0x80-0x9F).
    fault_latin1_declared_rate: float = 0.0
    # Settlement files whose summary row has its trailing empty cells cut (chosen per report from the seed).
    fault_settlement_cut_summary_rate: float = 0.0
    # Order report columns left out of every order report (comma-separated header names): a file of another
    # layout than the one documented, which the loader must refuse by name rather than misread.
    fault_report_dropped_columns: str = ""
    # The LWA token endpoint fails with a proxy-style HTML page that echoes the request's form body (refresh token
    # and client secret, URL-encoded) and a JSON dump of its fields, as a misconfigured proxy or a wrong URL does.
    fault_lwa_echo_body_rate: float = 0.0
    # A searchOrders page answers with the paginationToken it was asked with as its nextToken: a listing that
    # leads back to a page already read, for ever.
    fault_pagination_loop_rate: float = 0.0
    # getOrder refuses these shares of orders (chosen by order id, so the same orders on every call): 404
    # NotFound, 403 Unauthorized (Amazon withholding one order, e.g. a buyer lookup it will not serve).
    fault_get_order_404_rate: float = 0.0
    fault_get_order_403_rate: float = 0.0
    # Which service the request-level faults (429/500/slow/expiry) hit: "amazon", "zoho" or "both".
    fault_target: str = "both"
    # `make doctor`'s failures (issue #20; sandbox/access.py): an SP-API role the app lacks (e.g. "Finance and
    # Accounting": the operations needing it answer 403 Unauthorized), a Zoho scope the refresh token lacks (e.g.
    # "ZohoCRM.bulk.ALL": the calls needing it answer 401 OAUTH_SCOPE_MISMATCH), the Zoho data centre where the client
    # really lives (e.g. "eu": the sandbox's own token endpoint answers as a wrong data centre does, and only
    # /_dc/eu/oauth/v2/token mints), and Zoho modules the org's edition lacks (e.g. "Sales_Orders").
    doctor_missing_role: str = ""
    doctor_missing_scope: str = ""
    zoho_wrong_dc: str = ""
    zoho_edition_without: str = ""
    # ORDER_CHANGE delivery (issue #15; sandbox/amazon/notification_delivery.py). A notification reaches the
    # subscribed SQS queue between min and max seconds (sandbox clock) after the change, drawn per notification
    # from the seed. Amazon publishes no delivery delay; 1-10 s is an assumption. Duplicates: the share sent twice
    # with the same NotificationId (SQS is at-least-once). Shuffle: up to this many more seconds each, so changes
    # closer together than it arrive out of order. Silent: nothing is sent (changes while silent are dropped, as
    # from a queue Amazon cannot reach), to exercise the client's fallback to polling.
    notification_delay_min_seconds: float = 1.0
    notification_delay_max_seconds: float = 10.0
    notification_duplicate_rate: float = 0.0
    notification_shuffle_seconds: float = 0.0
    notification_silent: bool = False
    # Share of notifications with a malformed message sent beside them (JSON cut short, or without AmazonOrderId and
    # NotificationId), for the client's dead-letter path; the good notification still arrives.
    notification_malformed_rate: float = 0.0
    # Where the sandbox sends notifications: the SQS endpoint (boto3's endpoint_url). `python -m amazon_zoho.sandbox`
    # sets it to the moto server it starts, or to AWS_ENDPOINT_URL_SQS when that is set (sandbox/sqs_server.py).
    # Empty: notifications wait in the sandbox's outbox.
    sqs_endpoint_url: str = ""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> SandboxConfig:
        env = os.environ if environ is None else environ
        cfg = cls()
        updates = {}
        for f in dataclasses.fields(cls):
            raw = env.get(f"SANDBOX_{f.name.upper()}")
            if raw is not None:
                updates[f.name] = raw
        return cfg.updated(updates)

    def updated(self, changes: dict) -> SandboxConfig:
        """Returns a copy with `changes` applied, coercing strings to each field's type."""
        types = {f.name: f.type for f in dataclasses.fields(self)}
        clean = {}
        for name, value in changes.items():
            if name not in types:
                raise ValueError(f"unknown sandbox knob {name!r}; known: {sorted(types)}")
            clean[name] = _coerce(types[name], value)
        unknown = [m for m in clean.get("marketplaces", []) if m not in MARKETPLACES]
        if unknown:
            raise ValueError(
                f"the sandbox does not simulate marketplace ids {unknown}; it simulates {sorted(MARKETPLACES)} "
                f"(any row of amazon/marketplaces.csv can be added to _SIMULATION in sandbox/config.py)"
            )
        return dataclasses.replace(self, **clean)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def _coerce(type_name, value):
    type_name = str(type_name)
    if "list" in type_name:
        return [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else list(value)
    if isinstance(value, str):
        if type_name == "bool":
            return value.lower() in ("1", "true", "yes", "on")
        if type_name == "int":
            return int(value)
        if type_name == "float":
            return float(value)
    if type_name == "float":
        return float(value)
    if type_name == "int":
        return int(value)
    return value

"""The time zone of each Amazon marketplace's calendar, for the sales order's local purchase date
(Amazon_Purchase_Local_Date): an order placed at 23:30 UTC on the 10th was placed on the 11th in Berlin.

Amazon states the zone per marketplace for its advertising reports (the Ads API profile's `timezone`);
ScaleLeap/amazon-marketplaces collects those values (src/marketplaces/<country>.ts, `timeZone`, commit
ff64efc4; "We copied the advertisement values which was used for all date-based campaign management and
reporting. For missing, we just used the country's time zone", its PR #534). So the EU marketplaces on the
continent keep Paris time, and Mexico keeps Los Angeles time as the US and Canada do.

marketplaces.csv (amazon/) is the one place for marketplace facts and has no time-zone column yet; until it
does, the zones live here, and amazon_zoho_tests/zoho/test_money_payload.py checks that every row of that table has
one. A marketplace without a zone gets the UTC day.
"""

from __future__ import annotations

import pandas as pd

TIME_ZONES = {
    "ATVPDKIKX0DER": "America/Los_Angeles",  # US
    "A2EUQ1WTGCTBG2": "America/Los_Angeles",  # CA
    "A1AM78C64UM0Y8": "America/Los_Angeles",  # MX
    "A2Q3Y263D00KWC": "America/Sao_Paulo",  # BR
    "A1PA6795UKMFR9": "Europe/Paris",  # DE
    "A1F83G8C2ARO7P": "Europe/London",  # GB
    "A13V1IB3VIYZZH": "Europe/Paris",  # FR
    "APJ6JRA9NG5V4": "Europe/Paris",  # IT
    "A1RKKUPIHCS9HS": "Europe/Paris",  # ES
    "A1805IZSGTT6HS": "Europe/Amsterdam",  # NL
    "A2NODRKZP88ZB9": "Europe/Stockholm",  # SE
    "A1C3SOZRARQ6R3": "Europe/Warsaw",  # PL
    "AMEN7PMS3EDWL": "Europe/Brussels",  # BE
    "A28R8C7NBKEWEA": "Europe/Dublin",  # IE (not in ScaleLeap's table: the country's zone)
    "A33AVAJ2PDY3EV": "Europe/Istanbul",  # TR
    "A2VIGQ35RCS4UG": "Asia/Dubai",  # AE
    "A17E79C6D8DWNP": "Asia/Riyadh",  # SA
    "A21TJRUUN4KGV": "Asia/Kolkata",  # IN
    "ARBP9OOSHTCHU": "Africa/Cairo",  # EG
    "AE08WJ6YKNBMC": "Africa/Johannesburg",  # ZA
    "A1VC38T7YXB528": "Asia/Tokyo",  # JP
    "A39IBJ37TRP1C6": "Australia/Sydney",  # AU
    "A19VAU5U5O7RUS": "Asia/Singapore",  # SG
}


def frame() -> pd.DataFrame:
    """The table as the sales-order payload step is given it (`marketplace_time_zones`)."""
    return pd.DataFrame(sorted(TIME_ZONES.items()), columns=["marketplace_id", "time_zone"])

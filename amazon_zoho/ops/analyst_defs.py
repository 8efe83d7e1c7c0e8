"""Operations around the warehouse: the analyst copy and the buyer PII retention purge."""

import dagster as dg

from .analyst_copy import analyst_copy
from .pii_retention import pii_retention

defs = dg.Definitions(assets=[analyst_copy, pii_retention])

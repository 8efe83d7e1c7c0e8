"""Code location for the seller account acme_eu: settings from ACME_EU__*, asset keys under acme_eu/."""

from seller_location import definitions_for

defs = definitions_for("acme_eu")

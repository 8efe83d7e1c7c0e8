"""Code location for the seller account globex_na: settings from GLOBEX_NA__*, asset keys under globex_na/."""

from seller_location import definitions_for

defs = definitions_for("globex_na")

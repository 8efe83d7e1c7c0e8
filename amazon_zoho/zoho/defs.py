"""Push: Zoho CRM products, contacts and sales orders."""

import dagster as dg

from .assets import zoho_contacts, zoho_products, zoho_sales_orders

defs = dg.Definitions(assets=[zoho_products, zoho_contacts, zoho_sales_orders])

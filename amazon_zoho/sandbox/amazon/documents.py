"""The documents behind the simulated Reports API: Amazon's own settlement reports and the order
flat files a seller requests. report_model, reports and report_downloads import from here."""

from .order_flat_file import render_order_report
from .settlement_file import render_settlement
from .settlement_schedule import settlement_reports

__all__ = ["render_order_report", "render_settlement", "settlement_reports"]

"""The staff side of cases: the dashboard, the case page, each event's views."""

from ombud.cases.views.case import attachment, detail, summary
from ombud.cases.views.dashboard import confirm_key, dashboard, retry_alert
from ombud.cases.views.event import event_categories, event_overview, flood, handover

__all__ = [
    "attachment",
    "confirm_key",
    "dashboard",
    "detail",
    "event_categories",
    "event_overview",
    "flood",
    "handover",
    "retry_alert",
    "summary",
]

"""The staff side of cases: the dashboard, the case page, each event's views."""

from ombud.cases.views.case import attachment, detail, summary
from ombud.cases.views.dashboard import dashboard, retry_alert
from ombud.cases.views.event import event_categories, event_overview, handover

__all__ = [
    "attachment",
    "dashboard",
    "detail",
    "event_categories",
    "event_overview",
    "handover",
    "retry_alert",
    "summary",
]

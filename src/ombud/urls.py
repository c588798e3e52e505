from django.conf import settings
from django.urls import include, path

from ombud.api.api import api
from ombud.events import views as event_views
from ombud.web import views as web_views

handler400 = "ombud.web.errors.bad_request"
handler403 = "ombud.web.errors.permission_denied"
handler404 = "ombud.web.errors.page_not_found"
handler500 = "ombud.web.errors.server_error"

urlpatterns = [
    path("", event_views.home, name="home"),
    path("language/", web_views.set_language, name="set_language"),
    path("e/", include("ombud.events.urls")),
    path("e/", include("ombud.intake.urls")),
    path("receipt/", include("ombud.intake.receipt_urls")),
    path("receipt/", include("ombud.records.receipt_urls")),
    path("staff/", include("ombud.accounts.urls")),
    path("staff/", include("ombud.cases.urls")),
    path("staff/", include("ombud.decisions.urls")),
    path("staff/", include("ombud.staff.urls")),
    path("staff/", include("ombud.notify.urls")),
    path("staff/", include("ombud.attendees.urls")),
    path("", include("ombud.transparency.urls")),
    path("staff/", include("ombud.records.urls")),
    path("api/v1/", api.urls),
    # Providers' webhooks for the events' text-message numbers and hotlines.
    path("hooks/", include("ombud.intake.hook_urls")),
    # Health, readiness and metrics for the operator (docs/deploy.md).
    path("", include("ombud.web.ops_urls")),
]

if settings.DEMO_MODE:
    urlpatterns.append(path("demo/", include("ombud.demo.urls")))

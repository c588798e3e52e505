"""The records pages for staff: the retention policy (organiser admins), the purge
preview and purge (incident leads), and keeping one case longer (its leads). Thin:
rules decide who, services change and audit."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from ombud.cases.services import access, work
from ombud.events.models import Organisation
from ombud.events.services import organisations_managed_by
from ombud.records import queries, rules
from ombud.records.forms import ExtendForm, PolicyForm, PurgeForm
from ombud.records.models import PreviewItem
from ombud.records.services import expiry, extend, policy, purge
from ombud.vault.errors import KeyUnavailable
from ombud.web.forms import posted


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def policy_page(request, org_slug):
    organisation = get_object_or_404(
        Organisation.objects.filter(pk__in=organisations_managed_by(request.user)), slug=org_slug
    )
    form = PolicyForm(posted(request), instance=policy.policy_for(organisation.pk))
    if request.method == "POST" and form.is_valid():
        policy.save_policy(organisation, form.cleaned_data, by=request.user)
        messages.success(request, _("Saved."))
        return redirect("records:policy", org_slug=organisation.slug)
    return render(
        request,
        "records/policy.html",
        {"form": form, "organisation": organisation},
        status=400 if form.is_bound else 200,
    )


def _led_organisation(request, org_slug) -> Organisation:
    organisation = get_object_or_404(Organisation, slug=org_slug)
    if not rules.may_see_purges(request.user, organisation):
        raise Http404
    return organisation


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def purges(request, org_slug):
    """What will be expunged in the next 30 days, as the latest preview found it: the
    cases the lead may see by code name, the others as a count."""
    organisation = _led_organisation(request, org_slug)
    latest = purge.latest_preview(organisation)
    visible = queries.retention_cases(request.user, organisation)
    form = PurgeForm(initial={"preview": latest.pk if latest else None})
    status = 200
    if request.method == "POST" and request.POST.get("action") == "preview":
        purge.make_preview(organisation, by=request.user)
        messages.success(request, _("The preview is up to date."))
        return redirect("records:purges", org_slug=organisation.slug)
    if request.method == "POST":
        form = PurgeForm(request.POST)
        if form.is_valid():
            if latest is None or form.cleaned_data["preview"] != latest.pk:
                form.add_error(None, _("A newer preview was made meanwhile: check it first."))
            else:
                _purge(request, latest, visible)
                return redirect("records:purges", org_slug=organisation.slug)
        status = 400
    items = []
    hidden = 0
    if latest is not None:
        items = list(
            latest.items.filter(case__in=visible)
            .select_related("case__event")
            .order_by("expunge_on", "case__code_name")
        )
        hidden = latest.items.exclude(case__in=visible).exclude(state="purged").count()
    context = {
        "organisation": organisation,
        "preview": latest,
        "items": items,
        "hidden": hidden,
        "purged": latest.items.filter(state="purged").count() if latest else 0,
        "due_now": sum(
            1
            for item in items
            if item.state == PreviewItem.State.PENDING and item.expunge_on <= timezone.localdate()
        ),
        "form": form,
        "grace_days": purge.GRACE.days,
        "horizon_days": purge.HORIZON.days,
    }
    return render(request, "records/purges.html", context, status=status)


def _purge(request, preview, visible) -> None:
    result = purge.purge_by_lead(preview, visible, by=request.user)
    messages.success(
        request,
        ngettext("%(n)d case expunged.", "%(n)d cases expunged.", len(result.purged))
        % {"n": len(result.purged)},
    )
    if result.changed:
        messages.warning(
            request,
            ngettext(
                "%(n)d case changed since the preview and was kept: the next preview lists it.",
                "%(n)d cases changed since the preview and were kept: the next preview lists them.",
                len(result.changed),
            )
            % {"n": len(result.changed)},
        )


@login_required
@sensitive_post_parameters()
@require_http_methods(["GET", "HEAD", "POST"])
def case_retention(request, case_id):
    """A case's expunge date and why; its leads keep it longer with a sealed reason."""
    case = access.readable_case(request.user, case_id, related=("event",))
    if not rules.may_extend(request.user, case):
        raise Http404
    form = ExtendForm(posted(request), initial={"version": case.version})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            extend.extend(
                case,
                data["until"],
                data["reason"],
                by=request.user,
                expected_version=data["version"],
            )
        except KeyUnavailable:
            return redirect("cases:detail", case_id=case.pk)  # the case page explains
        except work.CaseActionError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("The case is kept longer."))
            return redirect("cases:detail", case_id=case.pk)
    try:
        history = extend.history(case, by=request.user)
    except KeyUnavailable:
        return redirect("cases:detail", case_id=case.pk)
    context = {
        "case": case,
        "event": case.event,
        "expiry": expiry.expiry_of(case),
        "history": history,
        "form": form,
    }
    return render(
        request, "records/case_retention.html", context, status=400 if form.is_bound else 200
    )

"""Staff pages: acknowledging the code and guide, and the roster that organiser
admins manage (people, roles, phones, shifts, briefings). None of it shows
report content."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from ombud.events.models import Event
from ombud.events.services import events_managed_by
from ombud.staff import rota as rota_service
from ombud.staff import rules, services
from ombud.staff.forms import (
    AcknowledgeForm,
    BriefingForm,
    MemberForm,
    NewMemberForm,
    PersonForm,
    RotaImportForm,
    RotaShiftForm,
    ShiftForm,
)
from ombud.staff.models import Briefing, DutyShift, Membership
from ombud.staff.queries import briefing_roster, membership_for
from ombud.web.forms import posted


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def acknowledge(request, slug):
    membership = membership_for(request.user, _event_or_404(slug))
    if membership is None:
        raise Http404
    event = membership.event
    initial = {
        "coc_version": event.code_of_conduct_version,
        "guide_version": event.handling_guide_version,
    }
    form = AcknowledgeForm(posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.acknowledge(
                membership,
                by=request.user,
                coc_version=form.cleaned_data["coc_version"],
                guide_version=form.cleaned_data["guide_version"],
            )
        except services.RosterError as exc:
            messages.error(request, str(exc))
            return redirect("staff:acknowledge", slug=event.slug)
        messages.success(
            request,
            _("Thank you. You can now be put on duty for %(event)s.") % {"event": event.name},
        )
        return redirect("cases:dashboard")
    return render(
        request, "staff/acknowledge.html", {"event": event, "membership": membership, "form": form}
    )


def _event_or_404(slug):
    return get_object_or_404(Event, slug=slug)


def _managed_event(request, slug):
    return get_object_or_404(events_managed_by(request.user), slug=slug)


# What the roster's "add someone" form hands to ``services.add_person``.
_NEW_MEMBER_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "email",
    "role",
    "phone",
    "badge_number",
    "shown_publicly",
)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def roster(request, slug):
    event = _managed_event(request, slug)
    form = NewMemberForm(posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            membership, _created = services.add_person(
                event,
                by=request.user,
                **{name: data[name] for name in _NEW_MEMBER_FIELDS},
            )
        except services.RosterError as exc:
            form.add_error("username", str(exc))
        else:
            messages.success(
                request, _("%(user)s was added to the staff.") % {"user": membership.user}
            )
            return redirect("staff:roster", slug=event.slug)
    members = (
        Membership.objects.filter(event=event)
        .select_related("user", "event")
        .prefetch_related("shifts")
        .order_by("role", "user__last_name", "user__first_name")
    )
    with timezone.override(event.zone):
        return render(
            request,
            "staff/roster.html",
            {"event": event, "members": members, "form": form, "now": timezone.now()},
            status=400 if form.is_bound else 200,
        )


def _member_post(request, membership, forms) -> str | None:
    """Carry out the member page's POST; the success message, or None when a form
    (or the service) refused it and the page is shown again with the errors."""
    action = request.POST.get("action")
    by = request.user
    if action == "member" and forms["member"].is_valid():
        services.change_member(membership, by=by, **forms["member"].cleaned_data)
        return _("Saved.")
    if action == "person" and forms["person"].is_valid():
        try:
            services.change_person(membership, by=by, **forms["person"].cleaned_data)
        except services.RosterError as exc:
            forms["person"].add_error(None, str(exc))
            return None
        return _("Saved.")
    if action == "shift" and forms["shift"].is_valid():
        services.add_shift(membership, by=by, **forms["shift"].cleaned_data)
        return _("Shift added.")
    return None


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def member(request, slug, member_id):
    event = _managed_event(request, slug)
    membership = get_object_or_404(
        Membership.objects.filter(event=event).select_related("user", "event"), pk=member_id
    )
    action = request.POST.get("action") if request.method == "POST" else None
    person = membership.user
    may_rename = rules.may_change_identity(request.user, person)
    if action == "person" and not may_rename:
        raise Http404
    forms = {
        "member": MemberForm(
            request.POST if action == "member" else None, instance=membership, prefix="member"
        ),
        "person": PersonForm(
            request.POST if action == "person" else None,
            initial={name: getattr(person, name) for name in services.PERSON_FIELDS},
            prefix="person",
        ),
        "shift": ShiftForm(request.POST if action == "shift" else None, prefix="shift"),
    }
    back = redirect("staff:member", slug=slug, member_id=membership.pk)
    status = 200
    with timezone.override(event.zone):
        if action == "invite":
            try:
                services.invite(membership, by=request.user)
            except services.RosterError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Invitation sent again."))
            return back
        if action == "remove":
            services.remove_member(membership, by=request.user)
            messages.success(request, _("%(user)s was removed from the staff.") % {"user": person})
            return redirect("staff:roster", slug=slug)
        if action in forms:
            done = _member_post(request, membership, forms)
            if done:
                messages.success(request, done)
                return back
            status = 400
        return render(
            request,
            "staff/member.html",
            {
                "event": event,
                "membership": membership,
                "form": forms["member"],
                "person_form": forms["person"] if may_rename else None,
                "shift_form": forms["shift"],
                "shifts": membership.shifts.all(),
            },
            status=status,
        )


@login_required
@require_POST
def delete_shift(request, slug, member_id, shift_id):
    event = _managed_event(request, slug)
    shift = get_object_or_404(
        DutyShift, pk=shift_id, membership_id=member_id, membership__event=event
    )
    services.remove_shift(shift, by=request.user)
    messages.success(request, _("Shift removed."))
    return redirect("staff:member", slug=slug, member_id=member_id)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def briefings(request, slug):
    event = _managed_event(request, slug)
    with timezone.override(event.zone):
        form = BriefingForm(posted(request), prefix="briefing")
        if request.method == "POST" and request.POST.get("action") == "briefing":
            if form.is_valid():
                services.add_briefing(event, by=request.user, **form.cleaned_data)
                messages.success(request, _("Briefing added."))
                return redirect("staff:briefings", slug=slug)
        elif request.method == "POST" and request.POST.get("action") == "attendance":
            briefing_id = request.POST.get("briefing", "")
            briefing = get_object_or_404(
                Briefing, event=event, pk=int(briefing_id) if briefing_id.isdigit() else 0
            )
            attended = {int(v) for v in request.POST.getlist("attended") if v.isdigit()}
            services.set_attendance(briefing, attended, by=request.user)
            messages.success(request, _("Attendance saved."))
            return redirect("staff:briefings", slug=slug)
        members = list(briefing_roster(event))
        rows = []
        for briefing in Briefing.objects.filter(event=event).prefetch_related("attendance"):
            present = {a.membership_id for a in briefing.attendance.all()}
            rows.append((briefing, [(m, m.pk in present) for m in members]))
        return render(
            request,
            "staff/briefings.html",
            {"event": event, "form": form, "briefings": rows},
            status=400 if form.is_bound and form.errors else 200,
        )


def _rota_event(request, slug):
    event = _event_or_404(slug)
    if not rules.may_manage_rota(request.user, event):
        raise Http404
    return event


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def rota(request, slug):
    """The duty rota: leads and organiser admins see cover, gaps, and edit shifts."""
    event = _rota_event(request, slug)
    with timezone.override(event.zone):
        shift_form = RotaShiftForm(prefix="shift", event=event)
        import_form = RotaImportForm(prefix="import")
        status = 200
        action = request.POST.get("action") if request.method == "POST" else None
        if action == "shift":
            shift_form = RotaShiftForm(request.POST, prefix="shift", event=event)
            if shift_form.is_valid():
                data = shift_form.cleaned_data
                services.add_shift(
                    data["member"],
                    by=request.user,
                    starts_at=data["starts_at"],
                    ends_at=data["ends_at"],
                )
                messages.success(request, _("Shift added."))
                return redirect("staff:rota", slug=slug)
            status = 400
        elif action == "import":
            import_form = RotaImportForm(request.POST, prefix="import")
            if import_form.is_valid():
                try:
                    added = rota_service.import_csv(
                        event, import_form.cleaned_data["csv"], by=request.user
                    )
                except rota_service.RotaImportError as exc:
                    for problem in exc.problems[:20]:
                        import_form.add_error("csv", problem)
                else:
                    messages.success(
                        request,
                        ngettext("%(n)d shift added.", "%(n)d shifts added.", added) % {"n": added},
                    )
                    return redirect("staff:rota", slug=slug)
            status = 400
        elif action == "delete":
            shift_id = request.POST.get("shift", "")
            shift = get_object_or_404(
                DutyShift, membership__event=event, pk=int(shift_id) if shift_id.isdigit() else 0
            )
            services.remove_shift(shift, by=request.user)
            messages.success(request, _("Shift removed."))
            return redirect("staff:rota", slug=slug)
        shifts = (
            DutyShift.objects.filter(membership__event=event)
            .select_related("membership__user")
            .order_by("starts_at")
        )
        return render(
            request,
            "staff/rota.html",
            {
                "event": event,
                "shifts": shifts,
                "on_duty": rota_service.on_duty_now(event),
                "gaps": rota_service.gaps(event),
                "shift_form": shift_form,
                "import_form": import_form,
                "now": timezone.now(),
            },
            status=status,
        )

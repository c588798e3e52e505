"""Staff pages: acknowledging the code and guide, and the roster that organiser
admins manage (people, roles, phones, shifts, briefings). None of it shows
report content."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ombud.accounts.services import send_password_link
from ombud.events.models import Event
from ombud.events.services import events_managed_by
from ombud.notify.models import OutboxMessage
from ombud.staff import rota as rota_service
from ombud.staff import rules, services
from ombud.staff.forms import (
    AcknowledgeForm,
    BriefingForm,
    MemberForm,
    NewMemberForm,
    RotaImportForm,
    RotaShiftForm,
    ShiftForm,
)
from ombud.staff.models import Briefing, DutyShift, Membership
from ombud.staff.queries import membership_for
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


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def roster(request, slug):
    event = _managed_event(request, slug)
    form = NewMemberForm(posted(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            user_model = get_user_model()
            user = user_model.objects.filter(username=data["username"]).first()
            created = user is None
            if created:
                user = user_model(
                    username=data["username"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    email=data["email"],
                )
                user.set_unusable_password()
                user.save()
            try:
                services.add_member(
                    event,
                    user,
                    role=data["role"],
                    phone=data["phone"],
                    badge_number=data["badge_number"],
                    shown_publicly=data["shown_publicly"],
                )
            except services.RosterError as exc:
                form.add_error("username", str(exc))
            else:
                if created:
                    send_password_link(
                        user, kind=OutboxMessage.Kind.STAFF_INVITE, event_name=event.name
                    )
                messages.success(request, _("%(user)s was added to the staff.") % {"user": user})
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


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def member(request, slug, member_id):
    event = _managed_event(request, slug)
    membership = get_object_or_404(
        Membership.objects.filter(event=event).select_related("user", "event"), pk=member_id
    )
    form = MemberForm(posted(request), instance=membership, prefix="member")
    shift_form = ShiftForm(prefix="shift")
    status = 200
    with timezone.override(event.zone):
        if request.method == "POST" and request.POST.get("action") == "member":
            if form.is_valid():
                with transaction.atomic():
                    form.save()
                messages.success(request, _("Saved."))
                return redirect("staff:member", slug=slug, member_id=membership.pk)
            status = 400
        elif request.method == "POST" and request.POST.get("action") == "shift":
            form = MemberForm(instance=membership, prefix="member")
            shift_form = ShiftForm(request.POST, prefix="shift")
            if shift_form.is_valid():
                services.add_shift(membership, **shift_form.cleaned_data)
                messages.success(request, _("Shift added."))
                return redirect("staff:member", slug=slug, member_id=membership.pk)
            status = 400
        elif request.method == "POST" and request.POST.get("action") == "invite":
            send_password_link(
                membership.user, kind=OutboxMessage.Kind.STAFF_INVITE, event_name=event.name
            )
            messages.success(request, _("Invitation sent again."))
            return redirect("staff:member", slug=slug, member_id=membership.pk)
        return render(
            request,
            "staff/member.html",
            {
                "event": event,
                "membership": membership,
                "form": form,
                "shift_form": shift_form,
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
    shift.delete()
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
                briefing = form.save(commit=False)
                briefing.event = event
                briefing.save()
                messages.success(request, _("Briefing added."))
                return redirect("staff:briefings", slug=slug)
        elif request.method == "POST" and request.POST.get("action") == "attendance":
            briefing_id = request.POST.get("briefing", "")
            briefing = get_object_or_404(
                Briefing, event=event, pk=int(briefing_id) if briefing_id.isdigit() else 0
            )
            attended = set(request.POST.getlist("attended"))
            with transaction.atomic():
                for membership in Membership.objects.filter(event=event):
                    if str(membership.pk) in attended:
                        services.record_attendance(briefing, membership, by=request.user)
                    else:
                        briefing.attendance.filter(membership=membership).delete()
            messages.success(request, _("Attendance saved."))
            return redirect("staff:briefings", slug=slug)
        members = list(
            Membership.objects.filter(event=event, active=True)
            .select_related("user")
            .order_by("user__last_name", "user__first_name")
        )
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
                    data["member"], starts_at=data["starts_at"], ends_at=data["ends_at"]
                )
                messages.success(request, _("Shift added."))
                return redirect("staff:rota", slug=slug)
            status = 400
        elif action == "import":
            import_form = RotaImportForm(request.POST, prefix="import")
            if import_form.is_valid():
                try:
                    added = rota_service.import_csv(event, import_form.cleaned_data["csv"])
                except rota_service.RotaImportError as exc:
                    for problem in exc.problems[:20]:
                        import_form.add_error("csv", problem)
                else:
                    messages.success(request, _("%(n)d shifts added.") % {"n": added})
                    return redirect("staff:rota", slug=slug)
            status = 400
        elif action == "delete":
            shift_id = request.POST.get("shift", "")
            shift = get_object_or_404(
                DutyShift, membership__event=event, pk=int(shift_id) if shift_id.isdigit() else 0
            )
            shift.delete()
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

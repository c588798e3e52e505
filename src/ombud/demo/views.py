from django.conf import settings
from django.http import Http404
from django.shortcuts import render

from ombud.demo.mailsink import read_mailbox

_LOOPBACK = {"127.0.0.1", "::1"}


def mailbox(request):
    """Demo only, and only to this computer: what the demo's own mail server received.

    Alerts carry no report content, but invitations and password links are
    secrets: anyone who could read them could take over a demo account.
    """
    if request.META.get("REMOTE_ADDR") not in _LOOPBACK:
        raise Http404
    # Not "messages": that name is Django's flash messages, which base.html shows.
    return render(request, "demo/mailbox.html", {"mail": read_mailbox(settings.DATA_DIR)})

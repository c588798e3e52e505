from django.conf import settings
from django.shortcuts import render

from ombud.demo.mailsink import read_mailbox


def mailbox(request):
    """Demo only: what the demo's own mail server received (alerts hold no content)."""
    return render(request, "demo/mailbox.html", {"messages": read_mailbox(settings.DATA_DIR)})

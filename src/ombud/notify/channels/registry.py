"""Which module delivers each kind of channel (e-mail goes through SMTP batches)."""

from ombud.notify.channels import chat, matrix, sms, webhook

SENDERS = {
    "slack": chat.send,
    "mattermost": chat.send,
    "zulip": chat.send,
    "discord": chat.send,
    "matrix": matrix.send,
    "webhook": webhook.send,
    "sms": sms.send,
}

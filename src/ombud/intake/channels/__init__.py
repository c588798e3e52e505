"""The event's own ways in besides the web form: e-mail, text messages, the hotline.

Every channel hands what arrived to ``inbound.receive``, which files it through
the same intake service, recusal, alerting and audit as a web report.
"""

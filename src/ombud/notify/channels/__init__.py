"""Alert channels: how an alert reaches a person. One small module per kind.

Every channel carries the same content-free text: what happened in one
constant line, the event's name and a link. Webhook-style channels are
delivered over HTTP with short time-outs and without following redirects.
"""

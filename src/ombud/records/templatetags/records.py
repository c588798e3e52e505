from django import template

from ombud.records.services import expiry

register = template.Library()


@register.simple_tag
def case_expiry(case) -> expiry.Expiry:
    """When the case is expunged and under which rule (no content: dates and rules)."""
    return expiry.expiry_of(case)

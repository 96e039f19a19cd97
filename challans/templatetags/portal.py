"""Template filters for the citizens' portal."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def rupees(amount_pkr: int | None) -> SafeString | str:
    """`5000` → `Rs 5,000`, isolated left-to-right so Urdu text around it keeps its order.

    Grouped with commas in every language: Urdu's locale formats omit the separator,
    and amounts on challans and bank slips are always written `5,000`.
    """
    if amount_pkr is None:
        return "—"
    return format_html('<bdi class="amount" dir="ltr">Rs {}</bdi>', f"{int(amount_pkr):,}")

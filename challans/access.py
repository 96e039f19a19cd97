"""The one place that decides whether a citizen may see a challan.

A successful look-up (plate + CNIC, or challan number + CNIC) grants the session access
to the challans it found, for a limited time. Nothing personal goes into URLs: pages are
addressed by the challan's random public token, and the token alone is not enough.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest

from challans.models import Challan

SESSION_KEY = "portal_access"
DEFAULT_ACCESS_MAX_AGE_S = 3600
MAX_GRANTS = 200  # an owner with more challans than this is looked up again, not stored


class ChallanUnavailable(Exception):
    """The challan does not exist, or this session may not see it (never says which)."""


def access_max_age_s() -> int:
    return int(settings.NIGRAN.get("PORTAL_ACCESS_MAX_AGE_S") or DEFAULT_ACCESS_MAX_AGE_S)


def grant_access(request: HttpRequest, challans: Iterable[Challan]) -> None:
    """Let this session see `challans` for `access_max_age_s()` seconds."""
    now_s = time.time()
    grants = _live_grants(request, now_s)
    for challan in challans:
        grants[str(challan.public_token)] = now_s
    newest = sorted(grants.items(), key=lambda item: item[1], reverse=True)[:MAX_GRANTS]
    if request.session.session_key is not None:
        request.session.cycle_key()  # a session fixed in advance must not inherit the access
    request.session[SESSION_KEY] = dict(newest)


def granted_tokens(request: HttpRequest) -> list[str]:
    """Public tokens this session may see now, most recently granted first."""
    grants = _live_grants(request, time.time())
    return [token for token, _ in sorted(grants.items(), key=lambda item: item[1], reverse=True)]


def forget_access(request: HttpRequest) -> None:
    request.session.pop(SESSION_KEY, None)


def access_challan_by_token(request: HttpRequest, public_token: UUID | str) -> Challan:
    """Return the challan if this session was granted it by a look-up and the grant is fresh.

    Raises:
        ChallanUnavailable: the same error whether the token is unknown, never granted,
            or granted too long ago.
    """
    token = str(public_token)
    granted_at_s = _live_grants(request, time.time()).get(token)
    if granted_at_s is None:
        raise ChallanUnavailable(token)
    challan = (
        Challan.objects.select_related("violation__camera__city", "registration")
        .filter(public_token=token)
        .first()
    )
    if challan is None:
        raise ChallanUnavailable(token)
    return challan


def _live_grants(request: HttpRequest, now_s: float) -> dict[str, float]:
    stored = request.session.get(SESSION_KEY)
    if not isinstance(stored, dict):
        return {}
    oldest_s = now_s - access_max_age_s()
    return {
        token: float(granted_at_s)
        for token, granted_at_s in stored.items()
        if isinstance(granted_at_s, int | float) and granted_at_s >= oldest_s
    }

"""Fixed-window rate limits for the citizens' look-ups, counted in Django's cache.

Every attempt counts, found or not, so enumeration (many plates with one CNIC, one
plate with many CNICs) runs into a limit whichever dimension the attacker varies.
Keys hold a SHA-256 of the value, never the plate or CNIC itself.

Limits come from `settings.NIGRAN` (`PORTAL_LOOKUPS_PER_IP`, `PORTAL_LOOKUPS_PER_PLATE`,
`PORTAL_LOOKUPS_PER_CNIC`, `PORTAL_LOOKUP_WINDOW_S`, `PORTAL_TRUSTED_PROXIES`) or else from
the environment variables of the same name prefixed `NIGRAN_`, so a benchmark can raise them.
Counters live in Django's cache: use Redis (`CACHE_URL`) when more than one process serves.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from enforcement.env import env_int

DEFAULT_LIMITS = {
    "PORTAL_LOOKUPS_PER_IP": 20,
    "PORTAL_LOOKUPS_PER_PLATE": 10,
    "PORTAL_LOOKUPS_PER_CNIC": 10,
    "PORTAL_LOOKUP_WINDOW_S": 600,
    # Reverse proxies in front of Django that append to X-Forwarded-For (0: none, trust
    # REMOTE_ADDR). The client is the address the outermost trusted proxy saw.
    "PORTAL_TRUSTED_PROXIES": 0,
}


class RateLimited(Exception):
    """Too many look-ups in the current window; `retry_after_s` says when to try again."""

    def __init__(self, scope: str, retry_after_s: int) -> None:
        super().__init__(f"look-up limit per {scope} reached; retry in {retry_after_s} s")
        self.scope = scope
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Limit:
    scope: str
    max_hits: int
    window_s: int


def configured(name: str) -> int:
    """A limit from settings.NIGRAN, else the NIGRAN_<name> environment variable, else default."""
    value = settings.NIGRAN.get(name)
    if value is not None:
        return int(value)
    return env_int(f"NIGRAN_{name}", DEFAULT_LIMITS[name])


def client_ip(request: HttpRequest) -> str:
    """The client's address, looking through `PORTAL_TRUSTED_PROXIES` proxies, no more.

    Entries further left in X-Forwarded-For are written by the client and not trusted.
    """
    proxies = configured("PORTAL_TRUSTED_PROXIES")
    remote_addr = str(request.META.get("REMOTE_ADDR", ""))
    if proxies <= 0:
        return remote_addr
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    return forwarded[-proxies] if len(forwarded) >= proxies else remote_addr


def _count(limit: Limit, value: str, now_s: float) -> tuple[int, int]:
    """Add one hit for `value` in the current window; return (hits so far, seconds left)."""
    window_index = int(now_s // limit.window_s)
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]
    key = f"portal:rl:{limit.scope}:{digest}:{window_index}"
    cache.add(key, 0, timeout=limit.window_s + 1)
    try:
        hits = cache.incr(key)
    except ValueError:  # the key expired between add() and incr()
        cache.set(key, 1, timeout=limit.window_s + 1)
        hits = 1
    seconds_left = int(limit.window_s - (now_s % limit.window_s)) + 1
    return hits, seconds_left


def check_lookup(*, client_ip: str, subject_scope: str, subject: str, cnic: str) -> None:
    """Count one look-up against the client, the subject (plate or challan number) and the CNIC.

    Raises:
        RateLimited: if any of the three is over its limit in the current window.
    """
    window_s = configured("PORTAL_LOOKUP_WINDOW_S")
    checks = [
        (Limit("ip", configured("PORTAL_LOOKUPS_PER_IP"), window_s), client_ip),
        (Limit(subject_scope, configured("PORTAL_LOOKUPS_PER_PLATE"), window_s), subject),
        (Limit("cnic", configured("PORTAL_LOOKUPS_PER_CNIC"), window_s), cnic),
    ]
    now_s = time.time()
    exceeded: RateLimited | None = None
    # Count every dimension before refusing, so varying one value still spends the others.
    for limit, value in checks:
        hits, seconds_left = _count(limit, value, now_s)
        if hits > limit.max_hits and exceeded is None:
            exceeded = RateLimited(limit.scope, seconds_left)
    if exceeded is not None:
        raise exceeded

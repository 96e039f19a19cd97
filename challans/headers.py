"""Security headers for the citizens' portal (its pages use no scripts and no inline styles).

Applied per view with `@portal_headers`, so the admin keeps its own scripts; the same
headers are available as `PortalSecurityHeadersMiddleware` for a deployment that wants
them on every non-admin response.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponseBase

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'none'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)
PORTAL_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def apply_portal_headers(response: HttpResponseBase, *, private: bool) -> HttpResponseBase:
    for name, value in PORTAL_HEADERS.items():
        response.headers.setdefault(name, value)
    if private:
        # Pages with a citizen's challans must not linger in shared or back-button caches.
        response.headers["Cache-Control"] = "no-store, private"
    return response


def portal_headers(
    view: Callable[..., HttpResponseBase] | None = None, *, private: bool = True
) -> Any:
    """Decorate a view so its responses carry the portal's security headers."""

    def decorate(func: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(func)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            return apply_portal_headers(func(request, *args, **kwargs), private=private)

        return wrapped

    return decorate(view) if view is not None else decorate


class PortalSecurityHeadersMiddleware:
    """The same headers on every response outside the admin."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.path.startswith("/admin/"):
            return response
        return apply_portal_headers(response, private=False)

"""Default deny: every view declares the roles that may use it, or it answers 403.

``@allow("coordinator")`` marks a view for signed-in users of those roles; ``@public``
marks the few views anyone may reach (the sign-in page). :class:`DefaultDenyMiddleware`
checks every request against the declaration of the view it resolves to: a view with
no declaration answers 403 to everyone, an anonymous user is sent to sign in, and a
user of another role gets 403. :class:`HeadersMiddleware` adds the security headers
Django does not set itself (Content-Security-Policy, Permissions-Policy, no caching of
pages that may hold study data).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

ROLE_NAMES = ("coordinator", "assessor", "analyst")
CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def allow(*roles: str):
    """Declare the roles that may use a view."""
    unknown = set(roles) - set(ROLE_NAMES)
    if not roles or unknown:
        raise ValueError(f"allow(): roles from {ROLE_NAMES}; got {roles}")

    def mark(view):
        view.allowed_roles = frozenset(roles)
        return view
    return mark


def public(view):
    """Declare a view that anyone may reach, signed in or not."""
    view.allowed_roles = "public"
    return view


class DefaultDenyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        roles = getattr(view_func, "allowed_roles", None)
        if roles == "public":
            return None
        if roles is None:
            raise PermissionDenied("no roles declared for this view")
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if getattr(user, "role", None) not in roles:
            raise PermissionDenied("role not allowed")
        return None


class HeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if not request.path.startswith(settings.STATIC_URL):
            response.headers["Cache-Control"] = "no-store"
        return response


def who_context(request) -> dict:
    """Templates get the signed-in user's name and role, and nothing else of theirs."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"me": None}
    return {"me": {"username": user.username, "role": user.role}}

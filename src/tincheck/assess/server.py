"""The production server: waitress (a multi-threaded WSGI server, not Django's
development server), with WhiteNoise serving the app's own static files."""

from __future__ import annotations

from .runtime import STATIC_DIR

PHONE_CACHE_S = 3600


def _static_headers(headers, path, url):
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"


def application():
    """The WSGI application of the configured study, static files included."""
    from django.core.wsgi import get_wsgi_application
    from whitenoise import WhiteNoise

    return WhiteNoise(get_wsgi_application(), root=str(STATIC_DIR), prefix="static/",
                      max_age=PHONE_CACHE_S, add_headers_function=_static_headers)


def serve(host: str, port: int, threads: int = 8, https: bool = False) -> None:
    """Serve until interrupted. ``https``: a TLS-terminating proxy in front sets
    X-Forwarded-Proto, trusted only from the local machine."""
    import waitress

    options = dict(host=host, port=port, threads=threads, ident="tincheck-assess",
                   clear_untrusted_proxy_headers=True, channel_timeout=60)
    if https:
        options.update(trusted_proxy="127.0.0.1", trusted_proxy_headers={"x-forwarded-proto",
                                                                          "x-forwarded-for"})
    waitress.serve(application(), **options)

"""Error pages: plain sentences, never a traceback or a hint of what exists."""

from django.shortcuts import render
from django.template.loader import render_to_string
from django.http import HttpResponseServerError

PAGES = {
    400: ("Bad request", "The request could not be understood."),
    403: ("Not allowed", "Your role does not give access to this page."),
    404: ("Not found", "There is no such page, or it is not yours to see."),
}


def _page(request, status):
    title, text = PAGES[status]
    return render(request, "assess/error.html", {"title": title, "text": text},
                  status=status)


def bad_request(request, exception=None):
    return _page(request, 400)


def forbidden(request, exception=None):
    return _page(request, 403)


def not_found(request, exception=None):
    return _page(request, 404)


def server_error(request):
    return HttpResponseServerError(render_to_string("assess/error.html", {
        "title": "Something went wrong",
        "text": "The server could not finish this request; nothing half-done was saved. "
                "Try again, and tell the study coordinator if it happens again."}))

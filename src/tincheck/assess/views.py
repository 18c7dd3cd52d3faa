"""The pages: thin functions over :mod:`.queries` (reading) and :mod:`.services`
(writing). Every view declares its roles (:mod:`.roles`); templates hold no logic
beyond loops and escaping."""

from __future__ import annotations

import io
import json
import zipfile

from django.conf import settings
from django.contrib import auth
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import queries, services, textpack
from .exporting import export, verify
from .forms import AssignForm, CorrectionForm, InterviewForm, LoginForm
from .roles import allow, public
from .services import Actor, ServiceError

HOME = {"assessor": "assessor_home", "coordinator": "coordinator_home",
        "analyst": "analyst_home"}


def _address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


# ------------------------------------------------------------------ everyone

@public
@require_http_methods(["GET", "POST"])
def login_view(request):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, {request.get_host()},
                                           require_https=request.is_secure()):
        target = ""
    if request.user.is_authenticated and request.method == "GET":
        return HttpResponseRedirect(target or reverse("home"))
    form = LoginForm(request.POST or None)
    message, status = None, 200
    if request.method == "POST" and form.is_valid():
        name, address = form.cleaned_data["username"].strip(), _address(request)
        if not services.login_allowed(name, address):
            services.record_login_failed(name, address, throttled=True)
            message = (f"Too many failed sign-ins. Wait {services.THROTTLE_MINUTES} minutes "
                       "and try again, or ask the study coordinator.")
            status = 429
        else:
            user = auth.authenticate(request, username=name,
                                     password=form.cleaned_data["password"])
            if user is None:
                services.record_login_failed(name, address)
                message = "The user name or password is not right."
            else:
                auth.login(request, user)
                services.record_login(user, address)
                return HttpResponseRedirect(target or reverse("home"))
    return render(request, "assess/login.html", {"form": form, "message": message,
                                                 "next": target}, status=status)


@allow("coordinator", "assessor", "analyst")
@require_POST
def logout_view(request):
    services.record_logout(request.user)
    auth.logout(request)
    return HttpResponseRedirect(reverse("login"))


@allow("coordinator", "assessor", "analyst")
@require_GET
def home(request):
    return HttpResponseRedirect(reverse(HOME[request.user.role]))


def csrf_failure(request, reason=""):
    return render(request, "assess/error.html", {
        "title": "The form has expired",
        "text": "Go back, reload the page and send the form again. (The page was open "
                "too long, or cookies are blocked.)"}, status=403)


# ------------------------------------------------------------------ assessors

@allow("assessor")
@require_GET
def assessor_home(request):
    tasks = queries.assessor_tasks(request.user)
    return render(request, "assess/assessor_home.html", {
        "todo": [t for t in tasks if not t.recorded and not t.cancelled],
        "done": [t for t in tasks if t.recorded],
        "cancelled": [t for t in tasks if t.cancelled and not t.recorded]})


def _own(request, assignment_id):
    task = queries.assessor_task(request.user, assignment_id)
    if task is None:
        raise Http404("no such interview")
    return task


def _pack():
    return textpack.load(settings.TINCHECK_STUDY.text_pack)


def _form_page(request, task, form, template="assess/interview_form.html", **extra):
    pack = _pack()
    modules = [(code, field, pack.modules.get(code, "")) for code, field in form.modules()]
    return render(request, template, {"task": task, "form": form, "modules": modules,
                                      "intro": pack.intro, **extra})


def _service_error(form, exc: ServiceError):
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc))


@allow("assessor")
@require_http_methods(["GET", "POST"])
def interview(request, assignment_id: int):
    task = _own(request, assignment_id)
    if task.recorded:
        return render(request, "assess/interview_view.html", {
            "task": task, "versions": queries.versions(task.id),
            "saved": request.GET.get("saved") == "1"})
    if task.cancelled:
        raise Http404("cancelled")
    form = InterviewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_interview(Actor.of(request.user), task.id, form.data_object())
        except ServiceError as exc:
            _service_error(form, exc)
        else:
            return HttpResponseRedirect(reverse("interview", args=[task.id]) + "?saved=1")
    return _form_page(request, task, form)


@allow("assessor")
@require_http_methods(["GET", "POST"])
def correct(request, assignment_id: int):
    task = _own(request, assignment_id)
    if not task.recorded:
        raise Http404("not recorded yet")
    if request.method == "POST":
        form = CorrectionForm(request.POST)
        if form.is_valid():
            try:
                services.correct_interview(Actor.of(request.user), task.id,
                                           form.data_object(), form.cleaned_data["reason"])
            except ServiceError as exc:
                _service_error(form, exc)
            else:
                return HttpResponseRedirect(reverse("interview", args=[task.id]) +
                                            "?saved=1")
    else:
        current = services.interview_content(queries.latest_interview(task.id))
        form = CorrectionForm(initial=InterviewForm.initial_from(current))
    return _form_page(request, task, form, correction=True)


# ------------------------------------------------------------------ coordinators

@allow("coordinator")
@require_GET
def coordinator_home(request):
    return render(request, "assess/coordinator_home.html", {
        "progress": queries.progress(), "assessors": queries.by_assessor(),
        "unassigned": len(queries.unassigned())})


@allow("coordinator")
@require_GET
def participants(request):
    state = request.GET.get("state") or None
    if state not in (None, "active", "reserve", "declined"):
        state = None
    return render(request, "assess/participants.html", {
        "rows": queries.participants(state), "state": state,
        "next_reserves": queries.next_reserves()})


@allow("coordinator")
@require_GET
def participant(request, study_id: str):
    detail = queries.participant_detail(study_id)
    if detail is None:
        raise Http404("no such participant")
    return render(request, "assess/participant.html", {
        "p": detail, "form": AssignForm(assessors=queries.assessors()),
        "message": request.GET.get("done")})


@allow("coordinator")
@require_GET
def unassigned(request):
    return render(request, "assess/unassigned.html", {
        "rows": queries.unassigned(), "form": AssignForm(assessors=queries.assessors())})


def _back(request, fallback: str):
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return fallback


@allow("coordinator")
@require_POST
def assign(request, visit_id: int, kind: str):
    form = AssignForm(request.POST, assessors=queries.assessors())
    back = _back(request, reverse("unassigned"))
    if not form.is_valid():
        return render(request, "assess/error.html", {
            "title": "Choose an assessor", "text": "No assessor was chosen.",
            "back": back}, status=400)
    try:
        services.assign(Actor.of(request.user), visit_id, kind, form.cleaned_data["assessor"])
    except ServiceError as exc:
        return render(request, "assess/error.html", {
            "title": "Not assigned", "text": str(exc), "back": back}, status=409)
    return HttpResponseRedirect(back)


@allow("coordinator")
@require_POST
def decline(request, study_id: str):
    return _participant_action(request, study_id, services.decline)


@allow("coordinator")
@require_POST
def activate(request, study_id: str):
    return _participant_action(request, study_id, services.activate_reserve)


def _participant_action(request, study_id, action):
    back = reverse("participant", args=[study_id])
    try:
        action(Actor.of(request.user), study_id)
    except ServiceError as exc:
        return render(request, "assess/error.html", {"title": "Not changed", "text": str(exc),
                                                     "back": back}, status=409)
    return HttpResponseRedirect(back)


# ------------------------------------------------------------------ analysts

@allow("analyst")
@require_GET
def analyst_home(request):
    return render(request, "assess/analyst_home.html", {
        "progress": queries.progress(), "head": queries.chain_head()})


@allow("analyst")
@require_POST
def export_view(request):
    result = export(Actor.of(request.user))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("interviews.csv", result.csv)
        archive.writestr("interviews.manifest.json",
                         json.dumps(result.manifest, indent=2) + "\n")
    stamp = result.manifest["exported_at"][:10]
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="interviews-{stamp}.zip"'
    return response


@allow("analyst")
@require_GET
def verify_view(request):
    return render(request, "assess/verify.html", {"report": verify()})


@allow("analyst")
@require_GET
def events(request):
    before = request.GET.get("before")
    before = int(before) if before and before.isdigit() else None
    rows = queries.events(200, before)
    return render(request, "assess/events.html", {
        "rows": rows, "older": rows[-1].seq if len(rows) == 200 else None})

"""Every URL of the app. Each view declares its roles (see roles.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    # assessors
    path("interviews/", views.assessor_home, name="assessor_home"),
    path("interviews/<int:assignment_id>/", views.interview, name="interview"),
    path("interviews/<int:assignment_id>/correct/", views.correct, name="correct"),
    # coordinators
    path("study/", views.coordinator_home, name="coordinator_home"),
    path("study/participants/", views.participants, name="participants"),
    path("study/participants/<str:study_id>/", views.participant, name="participant"),
    path("study/participants/<str:study_id>/decline/", views.decline, name="decline"),
    path("study/participants/<str:study_id>/activate/", views.activate, name="activate"),
    path("study/assign/", views.unassigned, name="unassigned"),
    path("study/visits/<int:visit_id>/assign/<str:kind>/", views.assign, name="assign"),
    # analysts
    path("analysis/", views.analyst_home, name="analyst_home"),
    path("analysis/export/", views.export_view, name="export"),
    path("analysis/verify/", views.verify_view, name="verify"),
    path("analysis/events/", views.events, name="events"),
]

handler400 = "tincheck.assess.errors.bad_request"
handler403 = "tincheck.assess.errors.forbidden"
handler404 = "tincheck.assess.errors.not_found"
handler500 = "tincheck.assess.errors.server_error"

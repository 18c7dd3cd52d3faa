"""The Django application of ``tincheck assess``."""

from django.apps import AppConfig


class AssessConfig(AppConfig):
    name = "tincheck.assess"
    label = "assess"
    verbose_name = "tincheck assess"
    default_auto_field = "django.db.models.BigAutoField"

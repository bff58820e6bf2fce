from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RequestsConfig(AppConfig):
    # The folder is `requests/` (the ministry's word); the label avoids any
    # clash with the PyPI `requests` package in Django's registry.
    name = "requests"
    label = "staff_requests"
    verbose_name = _("Administrative requests")

    def ready(self):
        from .services import register_families

        register_families()

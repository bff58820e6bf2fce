from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CollabConfig(AppConfig):
    name = "collab"
    verbose_name = _("Ministry intranet")

    def ready(self):
        from . import audit, signals  # noqa: F401

        audit.connect_signals()
        from requests import registry

        from . import documents

        registry.register_verifier(documents.verified_document)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrainingConfig(AppConfig):
    name = "training"
    verbose_name = _("Distance training")

    def ready(self):
        from collab import documents

        from .services import register_family

        register_family()
        documents.register_kind("training-certificate", _("Training certificate"))

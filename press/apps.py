from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PressConfig(AppConfig):
    name = "press"
    verbose_name = _("Press enterprise space")

    def ready(self):
        # The dossiers' families, listener and document kinds plug into the engine.
        from . import families

        families.register()
        # Company verification plugs into the engine (requests.registry).
        from . import verification

        verification.register()

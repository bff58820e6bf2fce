"""Expire drafts and unanswered corrections past their time; notify those close to it.

Run it periodically (cron, or a systemd timer, every hour is plenty)."""

from django.core.management.base import BaseCommand

from requests import services


class Command(BaseCommand):
    help = "Expire drafts and unanswered corrections; send the notice before expiry."

    def handle(self, *args, **options):
        counts = services.expire_applications()
        self.stdout.write(f"expired {counts['expired']}, noticed {counts['noticed']}")

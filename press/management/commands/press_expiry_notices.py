"""Warn companies about vault documents that expire soon (run daily, e.g. from cron)."""

from django.core.management.base import BaseCommand

from press import services


class Command(BaseCommand):
    help = "E-mail and notify each company once about vault documents expiring within N days."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=services.EXPIRY_NOTICE_DAYS,
                            help="Warn this many days ahead (default: %(default)s).")

    def handle(self, *args, days, **options):
        count = services.send_expiry_notices(days=days)
        self.stdout.write(f"{count} document(s) announced.")

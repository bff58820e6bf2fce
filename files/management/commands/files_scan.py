from django.core.management.base import BaseCommand

from files.models import FileVersion
from files.services import scan_version


class Command(BaseCommand):
    help = "Scan file versions still being checked or that could not be checked before."

    def handle(self, *args, **options):
        pending = FileVersion.objects.filter(
            scan_status__in=[FileVersion.Scan.PENDING, FileVersion.Scan.FAILED]
        ).values_list("pk", flat=True)
        for pk in list(pending):
            version = scan_version(pk)
            self.stdout.write(f"version {pk}: {version.scan_status} {version.scan_detail}".strip())

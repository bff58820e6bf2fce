from django.core.management.base import BaseCommand

from files.services import sweep_orphans


class Command(BaseCommand):
    help = (
        "Find and remove orphans both ways: stored objects no file version references, "
        "and file versions whose object is missing. Reports what it did."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Report only; remove nothing.")
        parser.add_argument(
            "--grace",
            type=int,
            default=3600,
            help="Leave objects younger than this many seconds (uploads in progress).",
        )

    def handle(self, *args, dry_run=False, grace=3600, **options):
        found = sweep_orphans(dry_run=dry_run, grace_seconds=grace)
        verb = "would remove" if dry_run else "removed"
        for key in found["objects"]:
            self.stdout.write(f"{verb} object without a record: {key}")
        for pk in found["versions"]:
            self.stdout.write(f"{verb} file version {pk} whose object is missing")
        self.stdout.write(
            f"{len(found['objects'])} orphan object(s), "
            f"{len(found['versions'])} dangling version(s), "
            f"{found['reservations']} stale quota hold(s) {verb}."
        )

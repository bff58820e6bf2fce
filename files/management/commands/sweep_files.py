from datetime import timedelta

from files.services import sweep_abandoned_uploads

from .files_orphans import Command as FilesOrphans


class Command(FilesOrphans):
    help = (
        "Make the file store and the database agree: everything files_orphans does, "
        "then abort the multipart uploads abandoned for hours (object storage)."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--abandoned-hours",
            type=float,
            default=24,
            help="Abort multipart uploads begun more than this many hours ago.",
        )

    def handle(self, *args, dry_run=False, abandoned_hours=24, **options):
        super().handle(*args, dry_run=dry_run, **options)
        uploads = sweep_abandoned_uploads(
            older_than=timedelta(hours=abandoned_hours), dry_run=dry_run
        )
        verb = "would abort" if dry_run else "aborted"
        for key in uploads:
            self.stdout.write(f"{verb} abandoned multipart upload of {key}")
        self.stdout.write(f"{len(uploads)} abandoned multipart upload(s) {verb}.")

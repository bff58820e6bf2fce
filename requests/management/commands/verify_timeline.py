"""Check every application's hash-chained timeline; report the first broken entry."""

from django.core.management.base import BaseCommand, CommandError

from requests import timeline


class Command(BaseCommand):
    help = "Verify the hash chain of the applications' timelines."

    def add_arguments(self, parser):
        parser.add_argument("--request", type=int, action="append", dest="requests",
                            help="only this application (repeatable)")

    def handle(self, *args, **options):
        breaks = list(timeline.verify(options["requests"]))
        for item in breaks:
            self.stderr.write(
                f"application {item.request_id}: entry {item.entry_id} (#{item.seq}) "
                f"{item.reason}"
            )
        if breaks:
            first = breaks[0]
            raise CommandError(
                f"{len(breaks)} broken chain(s); first broken entry: {first.entry_id} "
                f"(application {first.request_id}, #{first.seq})"
            )
        self.stdout.write("timeline intact")

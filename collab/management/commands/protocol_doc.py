"""Regenerate docs/protocol.md's event table from the schemas (collab/protocol_doc.py)."""

from django.core.management.base import BaseCommand, CommandError

from collab import protocol_doc


class Command(BaseCommand):
    help = "Rewrite the generated event table of docs/protocol.md from collab/events.py."

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="fail if the file is stale")

    def handle(self, *args, check=False, **options):
        text = protocol_doc.DOC.read_text()
        fresh = protocol_doc.render(text)
        if check:
            if fresh != text:
                raise CommandError("docs/protocol.md is stale: run python manage.py protocol_doc")
            return
        if fresh != text:
            protocol_doc.DOC.write_text(fresh)
            self.stdout.write("docs/protocol.md updated")

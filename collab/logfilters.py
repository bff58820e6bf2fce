"""Logging filters referenced from settings.LOGGING (imported before apps load)."""

import logging

from django.core.exceptions import PermissionDenied


class DeniedWithoutTraceback(logging.Filter):
    """A refused access is expected, not an error: Django logs each 403 with the
    exception's traceback; keep the one line ("Forbidden (Permission denied):
    /path") and drop the traceback. The audit log records who and from where."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, PermissionDenied):
            record.exc_info = None
            record.exc_text = None
        return True

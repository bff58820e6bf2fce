"""The engine's former single module, kept as one import for its callers.

The engine is split by responsibility: ``lifecycle`` (the only writer of an
application's state), ``routing`` (who decides), ``policies`` (who may see
and act), ``registry`` (what families plug in), ``timeline`` (the
hash-chained log). This module re-exports their public names.
"""

from __future__ import annotations

from .lifecycle import (  # noqa: F401
    LOCK_RETRIES,
    DecisionConflict,
    NotDecider,
    WorkflowError,
    already_decided_message,
    can_cancel,
    cancel,
    decide,
    start,
    submit,
)
from .registry import (  # noqa: F401
    ABSENCE_PROVIDERS,
    FAMILIES,
    TRANSITION_LISTENERS,
    FamilyHooks,
    hooks_for,
    register_family,
)
from .routing import (  # noqa: F401
    acting_manager,
    can_decide,
    current_step,
    deciders,
    hr_officers,
    social_affairs_officers,
)


def requests_awaiting(user) -> list:
    """Open requests whose current step this user may decide."""
    from .routing import awaiting

    return list(awaiting(user).select_related(
        "request_type", "requester", "requester__manager", "requester__directorate"))

"""The refusals of the goals rules: each carries one sentence in the user's language."""

from __future__ import annotations

from app.core.i18n import _
from app.goals.views import ConversationView, GoalView


class GoalsError(Exception):
    """A request the goals rules refuse; the message is one sentence in the user's language."""

    status_code = 422

    def __init__(self, message: str, *, field: str = "form") -> None:
        """Keep the message and the field it is about."""
        super().__init__(message)
        self.field = field

    @property
    def problems(self) -> dict[str, str]:
        """Messages by form field."""
        return {self.field: str(self)}


class NotVisible(GoalsError):
    """It does not exist or lies outside the viewer's teams (the same to them)."""

    status_code = 404


class InvalidInput(GoalsError):
    """One or more fields are wrong."""

    def __init__(self, problems: dict[str, str]) -> None:
        """Keep every field's message (the first one is the summary)."""
        super().__init__(next(iter(problems.values())), field=next(iter(problems)))
        self._problems = problems

    @property
    def problems(self) -> dict[str, str]:
        """Messages by form field."""
        return dict(self._problems)


class StateConflict(GoalsError):
    """The request clashes with what is stored (a 6th goal, a second rating on one day)."""

    status_code = 409


class VersionConflict(StateConflict):
    """Someone else saved a change first; ``current`` is what is stored now."""

    def __init__(self, current: GoalView | ConversationView) -> None:
        """Keep what is stored now, to show it with the message."""
        super().__init__(
            _("Someone else changed this in the meantime; check what is saved now and try again.")
        )
        self.current = current

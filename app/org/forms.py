"""Form models for sign-in and preferences."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from app.core.i18n import _

SIGN_IN_REASONS = frozenset({"ended", "kept"})


class SignInForm(BaseModel):
    """What the sign-in page posts."""

    email: str = Field(default="", max_length=254)
    password: str = Field(default="", max_length=512)
    next: str = Field(default="/", max_length=500)
    reason: str = Field(default="", max_length=10)

    @field_validator("next")
    @classmethod
    def _local_only(cls, value: str) -> str:
        """Only redirect within this site (never to another host)."""
        if not value.startswith("/") or value.startswith("//") or "\\" in value:
            return "/"
        return value

    @field_validator("reason")
    @classmethod
    def _known_reason(cls, value: str) -> str:
        """Only the reasons the sign-in page can explain (anything else is dropped)."""
        return value if value in SIGN_IN_REASONS else ""

    def reason_text(self) -> str:
        """Why the user is asked to sign in again, in one sentence (empty when not known)."""
        if self.reason == "kept":
            return _(
                "Your session ended. Sign in again and the answers kept on this device "
                "will be sent."
            )
        if self.reason == "ended":
            return _("Your session ended. Sign in again to continue where you were.")
        return ""

    def problems(self) -> dict[str, str]:
        """Field messages for what is missing."""
        problems: dict[str, str] = {}
        if not self.email.strip():
            problems["email"] = _("Enter your e-mail address.")
        if not self.password:
            problems["password"] = _("Enter your password.")
        return problems

"""Form models for sign-in and preferences."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from app.core.i18n import _


class SignInForm(BaseModel):
    """What the sign-in page posts."""

    email: str = Field(default="", max_length=254)
    password: str = Field(default="", max_length=512)
    next: str = Field(default="/", max_length=500)

    @field_validator("next")
    @classmethod
    def _local_only(cls, value: str) -> str:
        """Only redirect within this site (never to another host)."""
        if not value.startswith("/") or value.startswith("//") or "\\" in value:
            return "/"
        return value

    def problems(self) -> dict[str, str]:
        """Field messages for what is missing."""
        problems: dict[str, str] = {}
        if not self.email.strip():
            problems["email"] = _("Enter your e-mail address.")
        if not self.password:
            problems["password"] = _("Enter your password.")
        return problems

"""A plan's circumstance: a line of text, or written out with a short name for its channels and whether its
incidents are always confidential (plain strings stay valid)."""
from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Discriminator, Field, StringConstraints, Tag

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=75)]  # a select option
ShortName = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9]+(-[a-z0-9]+){0,2}$",
                                             max_length=20)]


class Circumstance(BaseModel):
    """A circumstance written out: its name, a short name for its channels, and whether it is always confidential."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Name
    short: ShortName | None = Field(
        default=None, description="its channels' name after bc-12-: up to three lower-case words joined by hyphens, "
                                  "20 characters at most", examples=["key-staff"])
    confidential: bool = Field(default=False, description="its incidents are always confidential")


def _kind(value: object) -> str:
    # One form or the other, so that a mistake is reported once, against the fields written.
    return "fields" if isinstance(value, (dict, Circumstance)) else "text"


CircumstanceEntry = Annotated[Annotated[Name, Tag("text")] | Annotated[Circumstance, Tag("fields")],
                              Discriminator(_kind)]


def name_of(circumstance: str | Circumstance) -> str:
    return circumstance if isinstance(circumstance, str) else circumstance.name


def find(circumstances: list[str | Circumstance], name: str) -> Circumstance | None:
    """The circumstance of that name (a plain string as one with no extras); None for Other."""
    for c in circumstances:
        if name_of(c) == name:
            return c if isinstance(c, Circumstance) else Circumstance(name=c)
    return None


def unique(circumstances: list[str | Circumstance]) -> list[str | Circumstance]:
    lowered = [name_of(c).lower() for c in circumstances]
    if len(set(lowered)) != len(lowered):
        raise ValueError("circumstances must be unique")
    if "other" in lowered:
        raise ValueError("'Other' is added by bcbot; leave it out of circumstances")
    return circumstances

"""The one exception data functions raise for bad user input: a message a person can act on."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from omnitune.data.report import InspectionReport


class DataError(Exception):
    """Bad or unusable data; ``str(err)`` says where and how to fix it, ``report`` has the details."""

    def __init__(self, message: str, report: InspectionReport | None = None) -> None:
        super().__init__(message)
        self.report = report

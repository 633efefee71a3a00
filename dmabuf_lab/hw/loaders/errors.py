"""The one error a capture loader raises: the capture is not what it claims to be."""
from __future__ import annotations

from dmabuf_lab.errors import LabInputError


class CaptureParseError(LabInputError):
    """A capture (lspci text, sysfs snapshot, bufinfo dump) that cannot be read.

    Always names the file and, for text captures, the 1-based line number, and
    says what was expected there, e.g.::

        machine.txt:1: expected an lspci device header such as
        '03:00.0 VGA compatible controller: ...', found 'hello'
    """

    def __init__(self, message: str, *, file: str | None = None,
                 line: int | None = None, field: str | None = None,
                 expected: str | None = None):
        self.expected = expected
        if expected:
            message = f"{message}; expected {expected}"
        super().__init__(message, file=file, line=line, field=field)

"""User-facing input errors: a bad snapshot, scenario, range list or preset name.

Kernel paths never raise these; they fail with errno (see ``dmabuf_lab.kmodel``).
"""
from __future__ import annotations


class LabInputError(ValueError):
    """Bad input from a user, named by file, line and field where known."""

    def __init__(self, message: str, *, file: str | None = None,
                 line: int | None = None, field: str | None = None):
        self.message = message
        self.file = file
        self.line = line
        self.field = field
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file) + (f":{self.line}" if self.line is not None else ""))
        elif self.line is not None:
            where.append(f"line {self.line}")
        if self.field:
            where.append(f"field '{self.field}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class TopologyError(LabInputError):
    """A machine that cannot be real: a preset, capture or hand-built tree with a
    duplicate bdf, overlapping BARs, a VF without its PF...; names the device and field."""

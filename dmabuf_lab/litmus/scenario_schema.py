"""The type of every value a litmus scenario may hold, checked before anything reads it.

:func:`check_types` walks a parsed scenario against :data:`TOP` and the
per-table schemas and reports the first value of the wrong type through the
loader's ``err(message, section, key)``, so a scenario never reaches the
loader's finer checks (devices, ranges, revisions) or a model with a value
it cannot use.  Unknown keys are the loader's to report (it suggests the
closest known one); driver options are typed by the driver registry.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from dmabuf_lab.input_file import shown

@dataclass(frozen=True)
class Type:
    """One value's expected type, in words, and its test."""

    desc: str
    test: Callable[[object], bool]
    inner: "Type | None" = None      # for arrays and tables: each element's type

    def problem(self, value) -> str | None:
        """None when ``value`` fits; else the first problem, in words."""
        found = self.locate(value)
        if found is None:
            return None
        path, msg = found
        return "".join(f"[{p!r}]" if isinstance(p, str) else f"[{p}]" for p in path) + (": " if path else "") + msg

    def locate(self, value):
        """None when ``value`` fits; else ``(path, problem)``: the keys and indexes down to the
        first value that does not fit, and what is wrong with it."""
        if not self.test(value):
            return [], f"expected {self.desc}, got {shown(value)}"
        if self.inner is not None:
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for k, v in items:
                found = self.inner.locate(v)
                if found is not None:
                    return [k] + found[0], found[1]
        return None


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


TEXT = Type("a non-empty string", lambda v: isinstance(v, str) and bool(v.strip()))
STRING = Type("a string", lambda v: isinstance(v, str))
INT = Type("an integer", _int)
BOOL = Type("true or false", lambda v: isinstance(v, bool))
TABLE = Type("a table", lambda v: isinstance(v, dict))


def list_of(inner: Type, what: str, non_empty: bool = False) -> Type:
    return Type(what, lambda v: isinstance(v, list) and (bool(v) or not non_empty), inner)


def table_of(inner: Type, what: str) -> Type:
    return Type(what, lambda v: isinstance(v, dict), inner)


def any_of(*types: Type) -> Type:
    return Type(" or ".join(t.desc for t in types), lambda v: any(t.problem(v) is None for t in types))


PAIR = Type("[offset, length] (two integers)", lambda v: isinstance(v, list) and len(v) == 2 and all(map(_int, v)))
FILES = any_of(TEXT, list_of(TEXT, "an array of file paths", non_empty=True))

#: ``topology = { lspci = ..., dmesg = ..., resource = { BDF = file } }``
TOPOLOGY_FILES = {"lspci": FILES, "dmesg": FILES, "resource": table_of(TEXT, "a table of BDF = file path")}

#: Top-level keys.
TOP = {
    "question": TEXT,
    "topology": any_of(TEXT, Type("a table of capture files (lspci, dmesg, resource)",
                                  lambda v: isinstance(v, dict))),
    "steps": list_of(TEXT, "a non-empty array of step names", non_empty=True),
    "source": STRING,
    "notes": STRING,
    "construction": STRING,
    "exporter": Type("an [exporter] table (driver = ..., device = ...)", lambda v: isinstance(v, dict)),
    "importer": Type("an [importer] table (driver = ..., device = ...)", lambda v: isinstance(v, dict)),
    "expect": table_of(TEXT, "an [expect] table of revision = mapping kind or errno"),
    "findings": table_of(list_of(TEXT, "an array of finding kinds"),
                         "a [findings] table of revision = [finding kinds]"),
    "threads": table_of(any_of(list_of(TEXT, "a non-empty array of step names", non_empty=True),
                               # its keys and values are the loader's to check, naming the key
                               Type("a table { importer = NAME, steps = [...] }", lambda v: isinstance(v, dict))),
                        "a [threads] table of thread name = [steps]"),
    "importers": table_of(Type("an importer table (driver = ..., device = ...)", lambda v: isinstance(v, dict)),
                          "an [importers.<name>] table per extra importer"),
    "races": table_of(table_of(TEXT, "a table of property = always, sometimes or never"),
                      "a [races.<revision>] table per revision"),
    "max_interleavings": INT,
}

#: The keys of [exporter] and [importer] that are not driver options.
EXPORTER = {"driver": TEXT, "device": TEXT, "bar": INT, "ranges": list_of(PAIR, "an array of [offset, length] pairs")}
IMPORTER = {"driver": TEXT, "device": TEXT, "dynamic": BOOL}
TABLES = {"exporter": EXPORTER, "importer": IMPORTER}


def check_table(table: dict, schema: dict, section, err) -> None:
    """Each key of ``schema`` present in ``table`` has its type, else ``err`` naming the
    innermost table and key (``threads.a``, ``races.mainline-6.19.leak``) that holds the value."""
    for key, typ in schema.items():
        if key not in table:
            continue
        found = typ.locate(table[key])
        if found is None:
            continue
        path, msg = found
        names = [key] + [p for p in path if isinstance(p, str)]
        index = "".join(f"[{p}]" for p in path if not isinstance(p, str))
        where = (".".join(names[:-1]) or None) if section is None else ".".join([section] + names[:-1])
        if index:
            msg = f"{names[-1]}{index}: {msg}"
        raise err(msg, where, names[-1])


def check_types(data: dict, err) -> None:
    """Every value of a parsed scenario has its type (see the module docstring)."""
    check_table(data, TOP, None, err)
    if isinstance(data.get("topology"), dict):
        topo = data["topology"]
        for key, typ in TOPOLOGY_FILES.items():
            if key in topo:
                p = typ.problem(topo[key])
                if p is not None:
                    raise err(f"topology.{key}: {p}", None, "topology")
    for role, schema in TABLES.items():
        table = data.get(role)
        if isinstance(table, dict):
            check_table(table, schema, role, err)
            check_driver_options(table, schema, role, err)


def check_driver_options(table: dict, schema: dict, role: str, err) -> None:
    """The options of a known driver, typed by the registry (unknown keys are left to the loader)."""
    from dmabuf_lab.drivers.registry import DRIVERS, driver_options

    driver = table.get("driver")
    if driver not in DRIVERS or role not in DRIVERS[driver].roles:
        return
    for key, opt in driver_options(driver, role).items():
        if key in table and key not in schema:
            p = opt.check(table[key])
            if p is not None:
                raise err(p, role, key)


#: (driver, role) -> why the table must name a ``device``: the driver's code reads the PCI
#: function it is bound to (its BAR, its VRAM, its p2pdma provider), so without one the
#: scenario names no machine state to run on.
NEEDS_DEVICE = {
    ("vfio-pci", "exporter"): "vfio-pci exports a BAR of the PCI function it is bound to",
    ("xe", "exporter"): "xe exports a buffer object in the VRAM of its own GPU",
    ("xe", "importer"): "xe imports for its own GPU, whose interconnects the exporter matches",
}


def check_driver_needs(data: dict, err) -> None:
    """Each driver's table names what that driver cannot run without (:data:`NEEDS_DEVICE`)."""
    for role in ("exporter", "importer"):
        table = data.get(role)
        if not isinstance(table, dict):
            continue
        why = NEEDS_DEVICE.get((table.get("driver"), role))
        if why and "device" not in table:
            raise err(f"[{role}] driver {table['driver']!r} needs device = \"<PCI address>\": {why}",
                      role, "driver")

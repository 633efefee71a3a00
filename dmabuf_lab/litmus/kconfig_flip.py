"""Which verdicts turn on a Kconfig option: the same run with the option flipped.

A matrix cell or a litmus check whose verdict changes when an option the
model reads (:data:`~dmabuf_lab.revisions.kconfig.KCONFIG_DEFAULTS`) is set
to y names that option and both answers.
"""
from __future__ import annotations

import contextlib
import dataclasses

from dmabuf_lab.litmus.runner import run_once
from dmabuf_lab.revisions.kconfig import KCONFIG_DEFAULTS, move_notify_config


def _with_option(spec, key: str, value):
    return dataclasses.replace(spec, options={**spec.options, key: value})


def flipped(option: str, exporter, importer):
    """``(context, exporter, importer)`` that run with ``option`` set to y."""
    if option == "CONFIG_DMABUF_MOVE_NOTIFY":
        return move_notify_config(True), _with_option(exporter, "dmabuf_move_notify", True), importer
    if option == "CONFIG_DRM_XE_DEBUG":
        return contextlib.nullcontext(), exporter, _with_option(importer, "drm_xe_debug", True)
    raise ValueError(f"unknown Kconfig option {option!r}; known: {list(KCONFIG_DEFAULTS)}")


def config_notes(topology_loader, exporter, importer, steps, target: str, baseline) -> list[str]:
    """``OPTION=y: <verdict>`` for each option whose flip changes ``baseline``'s verdict."""
    notes = []
    for option in KCONFIG_DEFAULTS:
        ctx, exp, imp = flipped(option, exporter, importer)
        with ctx:
            v = run_once(topology_loader(), exp, imp, tuple(steps), target)
        if (v.outcome, v.finding_kinds) != (baseline.outcome, baseline.finding_kinds):
            found = f" +{','.join(v.finding_kinds)}" if v.finding_kinds else ""
            if not found and v.outcome == baseline.outcome:
                found = " (no findings)"
            notes.append(f"{option}=y: {v.outcome}{found}")
    return notes

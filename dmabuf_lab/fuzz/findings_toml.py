"""Fuzz the findings registry loader (``data/findings.toml``) with mutated registries.

Each round mutates the shipped registry (a field of another type or
dropped, an entry that is not a table, a key added, nesting; or, on the
bytes, a byte order mark, invalid UTF-8, binary, deep nesting, a cut),
loads it with :func:`~dmabuf_lab.findings.registry.load_findings` and, when
it loads, renders every finding as the ``findings`` command and the site do
(groups, status, JSON form, e-mail form).  A round must end in the
registry's own :class:`~dmabuf_lab.findings.registry.FindingsError` (one
line) or in findings that render; anything else counts as a failure.

    python -m dmabuf_lab.fuzz.findings_toml --rounds 5000 --seed 1
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import traceback
from pathlib import Path

from dmabuf_lab.fuzz.scenarios import Tally, _first_line, mutate_bytes, random_value
from dmabuf_lab.fuzz.toml_text import document

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _names() -> dict:
    from dmabuf_lab.findings.registry import COMPONENTS, REPORTED, UPSTREAM
    from dmabuf_lab.revisions import REVISIONS

    return {"revisions": list(REVISIONS), "components": list(COMPONENTS), "upstream": list(UPSTREAM),
            "reported": list(REPORTED), "steps": ["attach", "map"], "drivers": ["xe"],
            "paths": ["litmus/x.toml", "/etc/hostname", "../x.toml", "litmus/../../x.toml"]}


def mutate(rng: random.Random, data: dict, names: dict) -> dict:
    """One to three changes to a parsed registry."""
    entries = data.get("finding")
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(8)
        if not isinstance(entries, list) or not entries:
            data["finding"] = random_value(rng, names)
            break
        i = rng.randrange(len(entries))
        entry = entries[i]
        if op == 0 and isinstance(entry, dict) and entry:       # a field of another type
            entry[rng.choice(list(entry))] = random_value(rng, names)
        elif op == 1 and isinstance(entry, dict) and entry:     # a field dropped
            del entry[rng.choice(list(entry))]
        elif op == 2 and isinstance(entry, dict):               # a known name in the wrong field
            key = rng.choice(["where", "component", "upstream", "reported", "variant", "kind", "also_in",
                              "scenarios", "fixed_by", "title", "reproducer"])
            entry[key] = rng.choice(names[rng.choice(list(names))] + ["x" * 100, ""])
        elif op == 3:                                           # an entry that is not a table
            entries[i] = random_value(rng, names)
        elif op == 4:                                           # a key added
            target = entry if isinstance(entry, dict) and rng.random() < 0.5 else data
            target[rng.choice(["zz", "id", "finding", "scenarios", "tests"])] = random_value(rng, names)
        elif op == 5:                                           # a duplicate id
            entries.append(dict(entry) if isinstance(entry, dict) else entry)
        elif op == 6:                                           # nesting
            entries[i] = {"finding": [entry]}
        else:                                                   # the whole list replaced
            data["finding"] = random_value(rng, names)
            break
    return data


def _render(findings) -> None:
    from dmabuf_lab.findings.email import finding_email
    from dmabuf_lab.findings.registry import groups

    groups(findings)
    for f in findings:
        f.status, f.group, f.as_dict(), finding_email(f, "0123456789ab")


def fuzz(rounds: int, seed: int = 0) -> Tally:
    from dmabuf_lab.findings.registry import FindingsError, findings_path, load_findings

    rng = random.Random(seed)
    names = _names()
    raw = findings_path().read_bytes()
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="dmabuf-lab-fuzz-") as tmp:
        path = Path(tmp) / "findings.toml"
        for _ in range(rounds):
            if rng.random() < 0.25:
                text = mutate_bytes(rng, raw)
            else:
                data = tomllib.loads(raw.decode("utf-8"))
                text = document(mutate(rng, data, names)).encode("utf-8", "surrogatepass")
            path.write_bytes(text)
            tally.rounds += 1
            try:
                findings = load_findings(path)
            except FindingsError as exc:
                if "\n" in str(exc):
                    tally.fail("error of several lines: " + _first_line(str(exc)), text, str(exc))
                tally.outcomes["findings-error"] += 1
                continue
            except Exception as exc:
                tally.outcomes["exception"] += 1
                tb = traceback.extract_tb(exc.__traceback__)
                where = f"{Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else "?"
                tally.fail(f"{type(exc).__name__} at {where}: {_first_line(str(exc))}", text,
                           "".join(traceback.format_exception(exc)))
                continue
            try:
                _render(findings)
                tally.outcomes["loaded"] += 1
            except Exception as exc:
                tally.outcomes["exception"] += 1
                tally.fail(f"render: {type(exc).__name__}: {_first_line(str(exc))}", text,
                           "".join(traceback.format_exception(exc)))
    return tally


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m dmabuf_lab.fuzz.findings_toml",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    tally = fuzz(args.rounds, args.seed)
    print(f"{tally.rounds} rounds (seed {args.seed}) in {time.perf_counter() - t0:.1f} s: "
          + ", ".join(f"{k} {v}" for k, v in sorted(tally.outcomes.items())))
    for sig, (n, _, _) in sorted(tally.failures.items(), key=lambda x: -x[1][0]):
        print(f"  {n:5d} x {sig}")
    return 1 if tally.failed else 0



if __name__ == "__main__":
    sys.exit(main())

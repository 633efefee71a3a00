"""Fuzz the litmus scenario loader, the runner and ``dmabuf-lab ask`` with mutated scenarios.

Each round takes a shipped scenario, mutates it (a value of the wrong type,
a key dropped or added, another driver, device, topology or step list, a
concurrent scenario made sequential or the reverse; or, on the raw bytes, a
byte order mark, invalid UTF-8, deep nesting, a cut), writes it to a
scratch file and hands it to the loader and, when it loads, to the runner
or the race explorer (``litmus``) or to ``dmabuf-lab ask``.  Every round
must end in one of three ways: the lab's own input error (one line), a
verdict, or a race result.  Anything else is counted as a failure:

``exception``
    anything raised that is not the lab's :class:`~dmabuf_lab.errors.LabInputError`;
``model-error``
    a run whose verdict is the lab's ``model-error`` (or a race search
    that stopped on a model error in a thread).

    python -m dmabuf_lab.fuzz.scenarios --rounds 10000 --seed 1 --save build/fuzz

exits 1 when any round failed, after printing one line per distinct failure.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from dmabuf_lab.fuzz.toml_text import Raw, document

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: Race searches in the fuzzer stop after this many interleavings (the verdicts do not matter here).
RACE_BOUND = 40


def _names():
    from dmabuf_lab.drivers.registry import DRIVERS
    from dmabuf_lab.hw import PRESETS
    from dmabuf_lab.revisions import REVISIONS
    from dmabuf_lab.revisions.base import FINDING_KINDS, MAPPING_KINDS, THREAD_STEPS

    return {"drivers": list(DRIVERS), "presets": list(PRESETS), "revisions": list(REVISIONS),
            "steps": list(THREAD_STEPS), "findings": list(FINDING_KINDS), "kinds": list(MAPPING_KINDS)}


def random_value(rng: random.Random, names: dict, depth: int = 0):
    """A value of any TOML type, often a name the lab knows, sometimes a hostile one."""
    pick = rng.randrange(14 if depth < 2 else 10)
    if pick == 0:
        return rng.choice(["", " ", "x", "0000:03:00.0", "0000:99:00.0", "-EINVAL", "always", "\u00e9t\u00e9"])
    if pick == 1:
        return rng.choice(names[rng.choice(list(names))])
    if pick == 2:
        return rng.choice([0, 1, -1, 2, 5, 6, 0x200000, 1 << 63, (1 << 63) - 1, -(1 << 63)])
    if pick == 3:
        return rng.choice([True, False])
    if pick == 4:
        return rng.choice([0.5, -0.0, 1e300, Raw("inf"), Raw("nan")])
    if pick == 5:
        return Raw(rng.choice(["1979-05-27T07:32:00Z", "1979-05-27", "07:32:00"]))
    if pick == 6:
        return [rng.randrange(-2, 1 << 24), rng.randrange(-2, 1 << 24)]
    if pick == 7:
        return [rng.choice(names["steps"]) for _ in range(rng.randrange(0, 6))]
    if pick == 8:
        return []
    if pick == 9:
        return rng.choice(names["drivers"] + ["nvidia", "VFIO-PCI"])
    if pick in (10, 11):
        return [random_value(rng, names, depth + 1) for _ in range(rng.randrange(0, 4))]
    return {rng.choice(["driver", "device", "x", "bar", "ranges", "attach"]): random_value(rng, names, depth + 1)
            for _ in range(rng.randrange(0, 3))}


def _paths(data, prefix=()):
    """Every (path, value) inside ``data``, tables and lists included."""
    out = []
    if isinstance(data, dict):
        for k, v in data.items():
            out.append((prefix + (k,), v))
            out.extend(_paths(v, prefix + (k,)))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out.append((prefix + (i,), v))
            out.extend(_paths(v, prefix + (i,)))
    return out


def _set(data, path, value) -> None:
    for p in path[:-1]:
        data = data[p]
    data[path[-1]] = value


def _delete(data, path) -> None:
    for p in path[:-1]:
        data = data[p]
    del data[path[-1]]


def _devices(preset: str) -> list:
    from dmabuf_lab.hw import load_topology

    try:
        return sorted(load_topology(preset).devices)
    except Exception:   # a preset that does not load is the topology tests' business
        return []


def mutate_data(rng: random.Random, data: dict, names: dict) -> dict:
    """One to three structural mutations of a parsed scenario."""
    for _ in range(rng.randint(1, 3)):
        paths = _paths(data)
        op = rng.randrange(12)
        if op == 0 and paths:                                  # a value of another type
            path, _ = rng.choice(paths)
            _set(data, path, random_value(rng, names))
        elif op == 1 and paths:                                # a key or element dropped
            path, _ = rng.choice(paths)
            _delete(data, path)
        elif op == 2:                                          # a key added somewhere
            tables = [p for p, v in paths if isinstance(v, dict)] + [()]
            where = rng.choice(tables)
            target = data
            for p in where:
                target = target[p]
            target[rng.choice(["device", "bar", "dynamic", "steps", "threads", "link_to", "zz",
                               "unchecked_ranges", "max_interleavings"])] = random_value(rng, names)
        elif op == 3:                                          # another driver
            role = rng.choice(["exporter", "importer"])
            if isinstance(data.get(role), dict):
                data[role]["driver"] = rng.choice(names["drivers"])
        elif op == 4:                                          # another device, or none
            role = rng.choice(["exporter", "importer"])
            if isinstance(data.get(role), dict):
                devs = _devices(data["topology"]) if isinstance(data.get("topology"), str) else []
                if devs and rng.random() < 0.7:
                    data[role]["device"] = rng.choice(devs)
                else:
                    data[role].pop("device", None)
        elif op == 5:                                          # another step list
            data.pop("threads", None)
            data.pop("races", None)
            data["steps"] = [rng.choice(names["steps"][:6]) for _ in range(rng.randrange(1, 7))]
        elif op == 6:                                          # threads
            data.pop("steps", None)
            data["threads"] = {f"t{i}": [rng.choice(names["steps"]) for _ in range(rng.randrange(1, 5))]
                               for i in range(rng.randrange(1, 4))}
            data.pop("expect", None)
            data.pop("findings", None)
            data["races"] = {rng.choice(names["revisions"]): {"leak": "sometimes"}}
        elif op == 7:                                          # another preset
            data["topology"] = rng.choice(names["presets"])
        elif op == 8:                                          # ranges, checked or not
            if isinstance(data.get("exporter"), dict):
                n = rng.randrange(0, 4)
                data["exporter"]["ranges"] = [[rng.choice([0, 0x1000, 0x100000, 0x200000, -1, 1 << 64]),
                                               rng.choice([0, 0x1000, 0x200000, 0x400000, 1 << 40])]
                                              for _ in range(n)]
                if rng.random() < 0.5:
                    data["exporter"]["unchecked_ranges"] = True
        elif op == 9:                                          # a driver option, any value
            from dmabuf_lab.drivers.registry import driver_options

            role = rng.choice(["exporter", "importer"])
            table = data.get(role)
            if isinstance(table, dict) and isinstance(table.get("driver"), str):
                try:
                    opts = list(driver_options(table["driver"], role))
                except Exception:
                    opts = []
                if opts:
                    table[rng.choice(opts)] = random_value(rng, names)
        elif op == 10:                                         # a whole table replaced
            data[rng.choice(["exporter", "importer", "expect", "findings", "threads", "races"])] = \
                random_value(rng, names)
        else:                                                  # a bar
            if isinstance(data.get("exporter"), dict):
                data["exporter"]["bar"] = rng.choice([0, 1, 2, 3, 4, 5, 6, -1, "2", None])
                if data["exporter"]["bar"] is None:
                    del data["exporter"]["bar"]
    return data


def mutate_bytes(rng: random.Random, raw: bytes) -> bytes:
    """A byte-level change: BOM, invalid UTF-8, NUL, deep nesting, a cut, a flipped byte."""
    op = rng.randrange(7)
    if op == 0:
        return b"\xef\xbb\xbf" + raw
    if op == 1:
        i = rng.randrange(len(raw) + 1)
        return raw[:i] + rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00"]) + raw[i:]
    if op == 2:
        n = rng.choice([50, 600, 5000])
        return raw + b"\nzz = " + b"[" * n + b"]" * n + b"\n"
    if op == 3:
        return raw[:rng.randrange(len(raw) + 1)]
    if op == 4:
        n = rng.choice([50, 600, 5000])
        return raw + b"\nzz = " + b"{ a = " * n + b"1" + b" }" * n + b"\n"
    if op == 5 and raw:
        i = rng.randrange(len(raw))
        return raw[:i] + bytes([rng.randrange(256)]) + raw[i + 1:]
    return raw.replace(b"\n", b"\r\n")


@dataclass
class Tally:
    """What a fuzz round found."""

    rounds: int = 0
    outcomes: Counter = field(default_factory=Counter)     # how each round ended
    failures: dict = field(default_factory=dict)           # signature -> (count, example file text, detail)

    def fail(self, signature: str, text: bytes, detail: str) -> None:
        n, ex, d = self.failures.get(signature, (0, text, detail))
        self.failures[signature] = (n + 1, ex, d)

    @property
    def failed(self) -> int:
        return sum(n for n, _, _ in self.failures.values())


def _run_litmus(path: Path, rng: random.Random, tally: Tally, raw: bytes) -> None:
    from dmabuf_lab.errors import LabInputError
    from dmabuf_lab.litmus.ask import targets as all_targets
    from dmabuf_lab.litmus.explorer import explore
    from dmabuf_lab.litmus.races import RaceSetupError
    from dmabuf_lab.litmus.runner import run_once
    from dmabuf_lab.litmus.scenario import load_scenario
    from dmabuf_lab.revisions.base import MODEL_ERROR

    try:
        sc = load_scenario(path, require_expect=rng.random() < 0.5)
    except LabInputError:
        tally.outcomes["scenario-error"] += 1
        return
    chosen = rng.sample(all_targets(None, True), 3)
    for t in chosen:
        if sc.concurrent:
            try:
                explore(sc, t, bound=RACE_BOUND)
            except RaceSetupError as exc:
                if "model error" in str(exc) or "does not terminate" in str(exc):
                    tally.outcomes["model-error"] += 1
                    tally.fail(f"race {t}: {_first_line(str(exc))}", raw, str(exc))
                    return
            tally.outcomes["explored"] += 1
        else:
            v = run_once(sc.fresh_topology(), sc.exporter, sc.importer, sc.steps, t)
            if v.outcome == MODEL_ERROR:
                tally.outcomes["model-error"] += 1
                tally.fail(f"run {t}: {_first_line(v.detail)}", raw, "\n".join(v.trace))
                return
            tally.outcomes["verdict"] += 1


def _run_ask(path: Path, rng: random.Random, tally: Tally, raw: bytes) -> None:
    from dmabuf_lab.cli import main as cli_main
    from dmabuf_lab.revisions import REVISIONS

    argv = ["ask", str(path), "--json", "--revision", rng.choice(list(REVISIONS))]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = cli_main(argv)
    if rc == 2:
        lines = err.getvalue().strip().splitlines()
        if len(lines) != 1:
            tally.fail(f"ask: error of {len(lines)} lines", raw, err.getvalue())
        tally.outcomes["ask-input-error"] += 1
        return
    text = out.getvalue()
    if '"model-error"' in text:
        tally.outcomes["model-error"] += 1
        tally.fail("ask: model-error " + _first_line(_model_error_detail(text)), raw, text[-2000:])
        return
    tally.outcomes["ask-answer"] += 1


def _model_error_detail(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return "?"
    for a in data.get("answers", []):
        if a.get("outcome") == "model-error":
            return f"{a.get('target')}: {a.get('verdict', {}).get('detail', '')}"
    return "?"


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or ["?"])[0][:160]


def seeds() -> list[tuple[str, bytes]]:
    """The shipped scenarios, as (name, bytes)."""
    from dmabuf_lab.litmus.scenario import find_scenarios

    return [(p.name, p.read_bytes()) for p in find_scenarios()]


def fuzz(rounds: int, seed: int = 0, *, ask_share: float = 0.3, progress=None) -> Tally:
    """Run ``rounds`` mutated scenarios; returns the tally (see the module docstring)."""
    rng = random.Random(seed)
    names = _names()
    base = seeds()
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="dmabuf-lab-fuzz-") as tmp:
        path = Path(tmp) / "fuzzed.toml"
        for n in range(rounds):
            name, raw = rng.choice(base)
            if rng.random() < 0.25:
                text = mutate_bytes(rng, raw)
            else:
                data = tomllib.loads(raw.decode("utf-8"))
                text = document(mutate_data(rng, data, names)).encode("utf-8", "surrogatepass")
            path.write_bytes(text)
            tally.rounds += 1
            try:
                if rng.random() < ask_share:
                    _run_ask(path, rng, tally, text)
                else:
                    _run_litmus(path, rng, tally, text)
            except Exception as exc:   # what the fuzzer is here to find
                tally.outcomes["exception"] += 1
                tb = traceback.extract_tb(exc.__traceback__)
                where = f"{Path(tb[-1].filename).name}:{tb[-1].lineno}" if tb else "?"
                tally.fail(f"{type(exc).__name__} at {where}: {_first_line(str(exc))}", text,
                           "".join(traceback.format_exception(exc)))
            if progress is not None:
                progress(n + 1)
    return tally


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m dmabuf_lab.fuzz.scenarios",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("--rounds", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--save", metavar="DIR", help="write one example file per distinct failure here")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    tally = fuzz(args.rounds, args.seed)
    secs = time.perf_counter() - t0
    print(f"{tally.rounds} rounds (seed {args.seed}) in {secs:.1f} s: "
          + ", ".join(f"{k} {v}" for k, v in sorted(tally.outcomes.items())))
    for i, (sig, (n, text, detail)) in enumerate(sorted(tally.failures.items(), key=lambda x: -x[1][0])):
        print(f"  {n:5d} x {sig}")
        if args.save:
            out = Path(args.save)
            out.mkdir(parents=True, exist_ok=True)
            (out / f"failure-{i:03d}.toml").write_bytes(text)
            (out / f"failure-{i:03d}.txt").write_text(sig + "\n\n" + detail)
    return 1 if tally.failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Capture fuzzer: mutated lspci, dmesg, bufinfo, resource and sysfs captures.

    python -m dmabuf_lab.fuzz.captures --rounds 100000 [--seed 1] [--save DIR]

Each round takes one shipped capture from ``data/captures`` (or a small sysfs
snapshot built from the shipped X550 resource files), applies a few
mutations (lines deleted, duplicated, swapped; bytes flipped; hostile tokens
inserted or put in place of a number: thousands of digits, digits that are
not ASCII, runs of spaces or parentheses, bytes that are not UTF-8, numbers
past a register's width) and loads it.  A load may succeed or raise one of the
lab's input errors (``LabInputError`` and its subclasses); anything else is an
escape.  Rounds that take longer than ``--slow`` seconds are counted too.
The run prints one summary and exits 1 when anything escaped or was slow;
``--save DIR`` keeps each escaping input (written atomically) to replay.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from dmabuf_lab.errors import LabInputError

DATA = Path(__file__).resolve().parents[2] / "data" / "captures"

#: Tokens a hostile capture puts where a number or a word belongs.
HOSTILE = [
    b"9" * 4400, b"f" * 70, b"99999999999", b"100000000", b"18446744073709551616", b"-1", b"0x", b"",
    "\u00b2".encode(), "\u0663".encode(), "\uff11\uff12".encode(), b"\xff\xfe", b"\xc3", b"\x00",
    b" " * 5000, b"(" * 3000, b"[" * 3000, b"[size=1024E]", b"[size=99999999999T]", b":" * 200,
    b"Bus: primary=00, secondary=1ff, subordinate=ffffffffffffffffff", b"Number of VFs: 65536",
    b"VF offset: 65535, stride: 65535", b"IOMMU group: 4294967296", b"03:00.0", b"ff:1f.7 x:",
    b"Memory at ffffffffffffffff (64-bit, prefetchable) [size=4K]", b"\t\t\t", b"> > > >", b"=3D",
]


def _captures(prefix: str) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(DATA.glob(f"{prefix}-*.txt"))]


NUMBERS = HOSTILE[:14]      # what replaces a number: too long, too wide, not ASCII, not UTF-8


def _numbers(data: bytes, digits: bytes) -> list[tuple[int, int]]:
    """(start, end) of every run of ``digits`` not glued to a letter: the places a field's value sits."""
    out, i, n = [], 0, len(data)
    while i < n:
        if data[i] in digits and (i == 0 or not chr(data[i - 1]).isalnum()):
            j = i
            while j < n and data[j] in digits:
                j += 1
            if j == n or not chr(data[j]).isalpha() or data[j] in b"KMGTx":
                out.append((i, j))
            i = j
        else:
            i += 1
    return out


#: How often each mutation is picked: delete, duplicate, swap, insert a line, insert in a line,
#: flip a byte, replace a number, truncate.  Replacing numbers finds the most.
_WEIGHTS = (1, 1, 1, 2, 2, 1, 4, 1)


def mutate(data: bytes, rng: random.Random, edits: int) -> bytes:
    """``data`` after ``edits`` random mutations."""
    for _ in range(edits):
        op = rng.choices(range(8), weights=_WEIGHTS)[0]
        lines = data.split(b"\n")
        i = rng.randrange(max(len(lines), 1))
        if op == 0 and lines:
            del lines[i]
        elif op == 1 and lines:
            lines.insert(i, lines[i])
        elif op == 2 and len(lines) > 1:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == 3:
            lines.insert(i, rng.choice(HOSTILE))
        elif op == 4 and lines:
            cut = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:cut] + rng.choice(HOSTILE) + lines[i][cut:]
        data = b"\n".join(lines)
        if op == 5 and data:
            k = rng.randrange(len(data))
            data = data[:k] + bytes([data[k] ^ rng.randrange(1, 256)]) + data[k + 1:]
        elif op == 6:
            spots = _numbers(data, b"0123456789" if rng.random() < 0.7 else b"0123456789abcdefABCDEF")
            if spots:
                a, b = rng.choice(spots)
                data = data[:a] + rng.choice(NUMBERS) + data[b:]
        elif op == 7:
            data = data[:rng.randrange(len(data) + 1)]
    return data


# -- sysfs: a small snapshot whose attribute files are mutated ----------------------

def _sysfs_template() -> dict[str, bytes]:
    """relative path -> content of a PF with one VF (the X550 numbers), links as text files."""
    pf_res = (DATA / "resource-intel-x550-pf-1.txt").read_bytes()
    vf_res = (DATA / "resource-intel-x550-vf-1.txt").read_bytes()
    pf, vf = "0000:05:00.0", "0000:05:10.0"
    return {
        f"{pf}/vendor": b"0x8086\n", f"{pf}/device": b"0x1563\n", f"{pf}/class": b"0x020000\n",
        f"{pf}/resource": pf_res, f"{pf}/sriov_totalvfs": b"64\n", f"{pf}/sriov_numvfs": b"1\n",
        f"{pf}/sriov_offset": b"128\n", f"{pf}/sriov_stride": b"2\n", f"{pf}/sriov_vf_device": b"1565\n",
        f"{pf}/devpath": b"/sys/devices/pci0000:00/0000:00:1c.4/0000:05:00.0\n",
        f"{pf}/virtfn0": b"../0000:05:10.0\n", f"{pf}/iommu_group": b"../../../../kernel/iommu_groups/23\n",
        f"{vf}/vendor": b"0x8086\n", f"{vf}/device": b"0x1565\n", f"{vf}/class": b"0x020000\n",
        f"{vf}/resource": vf_res, f"{vf}/physfn": b"../0000:05:00.0\n",
        f"{vf}/devpath": b"/sys/devices/pci0000:00/0000:00:1c.4/0000:05:10.0\n",
        f"{vf}/iommu_group": b"../../../../kernel/iommu_groups/27\n",
        "0000:00:1c.4/secondary_bus_number": b"5\n", "0000:00:1c.4/subordinate_bus_number": b"5\n",
        "0000:00:1c.4/vendor": b"0x8086\n", "0000:00:1c.4/class": b"0x060400\n",
    }


def _write_snapshot(root: Path, files: dict[str, bytes]) -> None:
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(content)


@dataclass
class Tally:
    """Outcomes per input kind, the escapes (kind, exception, where) and the slow rounds."""

    outcomes: Counter = field(default_factory=Counter)
    escapes: list = field(default_factory=list)
    slow: list = field(default_factory=list)

    @property
    def escaped(self) -> int:
        return len(self.escapes)


def _one(kind: str, load, data, tally: Tally, slow: float, save: Path | None, name: str) -> None:
    start = time.perf_counter()
    try:
        load()
        outcome = "loaded"
    except LabInputError:
        outcome = "refused"
    except Exception as exc:   # anything else is what the fuzzer hunts
        outcome = "escaped"
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        tally.escapes.append((kind, name, f"{type(exc).__name__}: {str(exc)[:120]}",
                              f"{Path(frame.filename).name}:{frame.lineno}"))
        if save is not None and isinstance(data, bytes):
            _save(save, f"{kind}-{len(tally.escapes)}.txt", data)
    took = time.perf_counter() - start
    if took > slow:
        tally.slow.append((kind, name, round(took, 2)))
    tally.outcomes[(kind, outcome)] += 1


def _save(folder: Path, name: str, data: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, folder / name)


def run(rounds: int, seed: int = 1, *, slow: float = 2.0, save: Path | None = None,
        kinds: tuple[str, ...] = ("lspci", "dmesg", "bufinfo", "resource", "sysfs"),
        progress: int = 0) -> Tally:
    """``rounds`` mutated captures, spread over ``kinds``; returns the tally.

    ``progress``: print a running count every that many rounds (0: never)."""
    from dmabuf_lab.hw.loaders import load_bufinfo, load_files, load_lspci, load_sysfs, parse_resource

    rng = random.Random(seed)
    lspci, bufinfo, resource = _captures("lspci"), _captures("bufinfo"), _captures("resource")
    dmesg = _captures("dmesg")
    template = _sysfs_template()
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="dmabuf-lab-fuzz-") as tmp:
        work = Path(tmp)
        for n in range(rounds):
            if progress and n and n % progress == 0:
                print(f"  after {n} rounds: escaped {tally.escaped}, slow {len(tally.slow)}", flush=True)
            kind = kinds[n % len(kinds)]
            edits = rng.randrange(1, 6)
            if kind == "lspci":
                name, base = rng.choice(lspci)
                data = mutate(base, rng, edits)
                p = work / "lspci.txt"
                p.write_bytes(data)
                _one(kind, lambda: load_lspci(p), data, tally, slow, save, name)
            elif kind == "dmesg":
                name, base = rng.choice(dmesg)
                lname = "lspci-" + name[len("dmesg-"):]
                if not (DATA / lname).exists():
                    lname = rng.choice(lspci)[0]
                data = mutate(base, rng, edits)
                p, q = work / "dmesg.txt", DATA / lname
                p.write_bytes(data)
                _one(kind, lambda: load_files([q], [p]), data, tally, slow, save, name)
            elif kind == "bufinfo":
                name, base = rng.choice(bufinfo)
                data = mutate(base, rng, edits)
                p = work / "bufinfo.txt"
                p.write_bytes(data)
                _one(kind, lambda: load_bufinfo(p), data, tally, slow, save, name)
            elif kind == "resource":
                name, base = rng.choice(resource)
                data = mutate(base, rng, edits)

                def load_resource(data=data):
                    from dmabuf_lab.hw.loaders.pasted_text import decode
                    parse_resource(decode(data), file="resource")
                _one(kind, load_resource, data, tally, slow, save, name)
            elif kind == "sysfs":
                files = dict(template)
                for _ in range(rng.randrange(1, 4)):
                    rel = rng.choice(sorted(files))
                    files[rel] = mutate(files[rel], rng, rng.randrange(1, 3))
                snap = work / f"snap-{n}"
                _write_snapshot(snap, files)
                blob = b"".join(f"== {k}\n".encode() + v for k, v in sorted(files.items()))
                _one(kind, lambda: load_sysfs(snap), blob, tally, slow, save, "sysfs-x550")
                shutil.rmtree(snap, ignore_errors=True)
    return tally


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m dmabuf_lab.fuzz.captures", description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=1000, help="mutated captures to load (default 1000)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--slow", type=float, default=2.0, help="seconds after which a round counts as slow")
    ap.add_argument("--save", type=Path, default=None, help="folder for the inputs that escaped")
    ap.add_argument("--progress", type=int, default=0, help="print a running count every N rounds")
    args = ap.parse_args(argv)
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    start = time.perf_counter()
    tally = run(args.rounds, args.seed, slow=args.slow, save=args.save, progress=args.progress)
    took = time.perf_counter() - start
    kinds = sorted({k for k, _ in tally.outcomes})
    print(f"{args.rounds} mutated captures (seed {args.seed}) in {took:.1f} s")
    for kind in kinds:
        row = {o: tally.outcomes[(kind, o)] for o in ("loaded", "refused", "escaped")}
        print(f"  {kind:9} loaded {row['loaded']:>7}  refused {row['refused']:>7}  escaped {row['escaped']:>5}")
    print(f"exceptions other than the lab's input errors: {tally.escaped}; rounds slower than "
          f"{args.slow:g} s: {len(tally.slow)}")
    seen = Counter((k, e, w) for k, _, e, w in tally.escapes)
    for (kind, exc, where), count in seen.most_common(20):
        print(f"  {count:>5} x {kind}: {exc} ({where})")
    for kind, name, took_s in tally.slow[:10]:
        print(f"  slow: {kind} from {name}: {took_s} s")
    return 1 if tally.escaped or tally.slow else 0


if __name__ == "__main__":
    sys.exit(main())

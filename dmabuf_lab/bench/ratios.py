"""The ratios each benchmark row carries besides the roofline.

* ``vs_numpy_same``: the kernel against numpy running the *same* algorithm
  (the same window and block arithmetic or tables, vectorised);
* ``vs_reference``: against the generic numpy reference (binary searches);
* ``speed_of_light_ratio``: the kernel's bandwidth over that of a loop that
  moves the kernel's bytes and does nothing else (:mod:`.speed_of_light`),
  and ``speed_of_light_roofline_ratio``: that loop against the copy roofline
  -- the most any kernel with these streams could reach here.
"""
from __future__ import annotations

SOL_MAX_RANGES = 10 ** 7  # above this the loop's own outputs would crowd the kernel's out of memory


def measure(case, d, n: int, best_time, quick: bool, with_numpy: bool) -> dict:
    """Times of the numpy same-algorithm baseline and the speed-of-light loop for one input."""
    out = {"numpy_same_is": case.numpy_same_is, "same_is_reference": case.numpy_same is None}
    if case.numpy_same is not None and with_numpy:
        case.numpy_same(d) if n <= 10 ** 6 else None  # warm-up
        t, _, _ = best_time(lambda: case.numpy_same(d), min_total=0.4, max_repeats=3 if n >= 10 ** 6 else 15)
        out["numpy_same_seconds"] = t
    if n <= SOL_MAX_RANGES:
        loop = case.speed_of_light(d)
        loop.run()  # JIT and first touch of the outputs
        t, _, _ = best_time(loop.run, min_total=1.0 if quick else 2.5, max_repeats=15 if quick else 200)
        out["speed_of_light_seconds"] = t
        out["speed_of_light_bytes"] = loop.nbytes
        del loop
    return out


def annotate(row: dict, base: dict, reference_seconds, roof_Bps) -> None:
    """Add the numpy and speed-of-light ratios to one result row."""
    same = reference_seconds if base["same_is_reference"] else base.get("numpy_same_seconds")
    row["numpy_same_is"] = base["numpy_same_is"]
    row["numpy_same_seconds"] = same
    row["vs_numpy_same"] = same / row["seconds"] if same else None
    sol_s = base.get("speed_of_light_seconds")
    if sol_s:
        sol_Bps = base["speed_of_light_bytes"] / sol_s
        row["speed_of_light_seconds"] = sol_s
        row["speed_of_light_bandwidth_Bps"] = sol_Bps
        row["speed_of_light_ratio"] = row["bandwidth_Bps"] / sol_Bps
        row["speed_of_light_roofline_ratio"] = sol_Bps / roof_Bps if roof_Bps else None
    else:
        row["speed_of_light_ratio"] = row["speed_of_light_roofline_ratio"] = None

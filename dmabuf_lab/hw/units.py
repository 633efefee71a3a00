"""Human-readable sizes for the topology printouts (binary units: KiB, MiB, GiB, TiB)."""
from __future__ import annotations

_UNITS = (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10))


def human_size(n: int) -> str:
    """``4294967296 -> "4 GiB"``, ``2.5 GiB``; a size not exact in two decimals drops to the
    largest unit that divides it in fewer than five digits (``2566 MiB``), else is
    approximated (``~63.99 GiB``); bytes below 1 KiB."""
    n = int(n)
    for i, (name, unit) in enumerate(_UNITS):
        if n >= unit:
            if (n * 100) % unit == 0:          # exact with at most two decimals
                return f"{n / unit:.2f}".rstrip("0").rstrip(".") + f" {name}"
            for smaller, sunit in _UNITS[i + 1:]:
                if n % sunit == 0 and n // sunit < 10000:
                    return f"{n // sunit} {smaller}"
            return f"~{n / unit:.2f} {name}"
    return f"{n} B"

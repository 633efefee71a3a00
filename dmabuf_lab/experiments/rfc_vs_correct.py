"""Where the RFC's translation and the correct one disagree, and why.

Runs :func:`dmabuf_lab.kernels.translate.translate_bar_to_dpa` in both modes
and flags each input range with the reasons they differ.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from dmabuf_lab.kernels import backends
from dmabuf_lab.kernels.errno import ERANGE
from dmabuf_lab.kernels.getorder import PAGE_SIZE, get_order_bulk
from dmabuf_lab.kernels.translate import TranslateResult, TranslateTopology, translate_bar_to_dpa

U64 = np.uint64

# why the RFC and the correct translation disagree (bit flags)
LAST_PAGE = 1          # start lies in the last page of a VF BAR: the RFC finds no VF
BLOCK_CROSSING = 2     # the range runs into a non-adjacent VRAM block: the RFC maps the tail wrongly
ORDER_OVERSTATED = 4   # PAGE_SIZE << get_order(len) > len: the encoded segment is bigger than the range
OVERRUN = 8            # the range runs past its VF window or LMEM quota: correct rejects it, the RFC does not
REASON_NAMES = {LAST_PAGE: "last page", BLOCK_CROSSING: "block crossing",
                ORDER_OVERSTATED: "order overstated", OVERRUN: "overrun"}


@dataclass
class Disagreement:
    """Per input range: ``reasons`` (bit flags, 0 = the two agree)."""
    reasons: np.ndarray
    rfc: TranslateResult
    correct: TranslateResult

    @property
    def indices(self) -> np.ndarray:
        return np.nonzero(self.reasons)[0]

    def counts(self) -> dict:
        """How many ranges disagree for each reason (a range may have several)."""
        return {name: int(np.count_nonzero(self.reasons & bit)) for bit, name in REASON_NAMES.items()}

    def explain(self, i: int) -> list[str]:
        return [name for bit, name in REASON_NAMES.items() if self.reasons[i] & bit]


def compare_translations(starts, lengths, topo: TranslateTopology, lookup: str = "auto",
                         backend: str = "auto") -> Disagreement:
    """Run both behaviours and flag, per range, where and why they differ."""
    starts = np.ascontiguousarray(backends.to_host(starts), dtype=U64)
    lengths = np.ascontiguousarray(backends.to_host(lengths), dtype=U64)
    rfc = translate_bar_to_dpa(starts, lengths, topo, "rfc", lookup, backend).to_host()
    cor = translate_bar_to_dpa(starts, lengths, topo, "correct", lookup, backend).to_host()
    n = starts.shape[0]
    reasons = np.zeros(n, dtype=np.int32)
    # the RFC's lookup missed a range the correct lookup places
    cor_found = cor.vf >= 0
    reasons |= np.where(cor_found & (rfc.vf < 0), LAST_PAGE, 0).astype(np.int32)
    # encoded segment longer than the range (only where the RFC produced one)
    rfc_ok = rfc.status == 0
    rfc_dpa = rfc.dpa
    order = get_order_bulk(lengths)
    over = (U64(PAGE_SIZE) << order.astype(U64)) > lengths
    reasons |= np.where(rfc_ok & over, ORDER_OVERSTATED, 0).astype(np.int32)
    # the correct path refuses a range the RFC translated
    reasons |= np.where(rfc_ok & (cor.status == -ERANGE), OVERRUN, 0).astype(np.int32)
    # segment k of range i must sit at rfc_dpa[i] + (its offset into the range)
    if len(cor):
        ri = cor.range_index
        first = np.ones(ri.size, dtype=bool)
        first[1:] = ri[1:] != ri[:-1]
        seg_start = np.cumsum(cor.length, dtype=U64) - cor.length
        base = np.maximum.accumulate(np.where(first, np.arange(ri.size), 0))
        rel = seg_start - seg_start[base]
        wrong = rfc_ok[ri] & (cor.dpa != rfc_dpa[ri] + rel)
        bad = np.zeros(n, dtype=bool)
        bad[ri[wrong]] = True
        reasons |= np.where(bad, BLOCK_CROSSING, 0).astype(np.int32)
    return Disagreement(reasons, rfc, cor)

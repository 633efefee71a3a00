"""An errno verdict traced to the kernel function that returned it, read from the model's source.

The expected conditions are the facts docs/sources.md states for the code
modelled (vfio's attach refuses an importer without peer2peer; the private
iommufd bridge takes one range only), not text the tracer produced.
"""
from __future__ import annotations

from dmabuf_lab.litmus.errno_origin import condition, errno_origin, why_line
from dmabuf_lab.litmus.runner import run_once
from dmabuf_lab.litmus.scenario import load_scenario


def _origin(name: str, target: str):
    sc = load_scenario(f"litmus/{name}.toml")
    run = lambda: run_once(sc.fresh_topology(), sc.exporter, sc.importer, sc.steps, target)  # noqa: E731
    verdict, origin = errno_origin(run, "")
    return verdict, origin


def test_vfio_attach_without_peer2peer_names_the_test_that_refused():
    verdict, origin = _origin("dynamic-importer-without-p2p", "mainline-6.19")
    assert verdict.outcome == "-EOPNOTSUPP" and origin is not None
    assert origin.origin.function == "vfio_pci_dma_buf_attach"
    assert "not attachment.peer2peer" in why_line(origin)


def test_the_iommufd_bridge_takes_one_range():
    verdict, origin = _origin("iommufd-two-ranges", "mainline-6.19")
    assert verdict.outcome == "-EOPNOTSUPP"
    assert origin.origin.function == "vfio_pci_dma_buf_iommufd_map"
    assert "nr_ranges != 1" in why_line(origin)


def test_a_verdict_that_is_no_errno_has_no_origin():
    verdict, origin = _origin("mainline-sgt-helper-leak", "mainline-7.3-rc6")
    assert not verdict.outcome.startswith("-E") and origin is None


def test_condition_reads_an_else_branch_as_the_negated_test():
    def sample(x):
        if x > 3:
            return 1
        else:
            return -22

    code = sample.__code__
    line = code.co_firstlineno + 4          # the return in the else branch
    assert condition(code, line) == "not (x > 3)"

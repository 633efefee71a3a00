"""iommufd's map hands every mapping it gets to the race checks, in every mainline release alike.

The map-after-revoke property is only seen if the importer reports each
mapping vfio returned (``mapping_returned``) and remembers the token its DMA
is checked against.  Forcing the exporter's ``buffer_revoked`` answer to
True makes any mapping a breach, so a map path that skips the report shows
up as a missing observation.
"""
from __future__ import annotations

import pytest

from dmabuf_lab.drivers import registry
from dmabuf_lab.hw import load_topology
from dmabuf_lab.kmodel import Kernel
from dmabuf_lab.revisions import get_revision
from dmabuf_lab.revisions.base import ExporterSpec, ImporterSpec, Session, session_scope

VF1 = "0000:03:00.2"
MiB = 1 << 20


@pytest.mark.parametrize("revision", ["mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"])
def test_iommufd_map_reports_the_mapping(revision):
    s = Session(load_topology("xe-sriov-8vf"), ExporterSpec("vfio-pci", VF1, 2, ((0, 2 * MiB),)),
                ImporterSpec("iommufd"), get_revision(revision))
    with session_scope(s), Kernel():
        exp, imp = registry.make_exporter(s), registry.make_importer(s)
        s.dmabuf = exp.export()
        s.shared["buffer_revoked"] = lambda: True
        s.shared["dma_token"] = lambda: "token-at-map"
        imp.attach(s.dmabuf)
        imp.map()
        props = [prop for prop, _msg, _func in s.shared.get("observations", [])]
        assert props == ["map-after-revoke"]
        assert imp.token == "token-at-map"
        imp.teardown()
        exp.release()

"""drivers/gpu/drm/drm_gpuvm.c as xe's 6.19 importer uses it: the dummy GEM object that locks a reservation object."""
from __future__ import annotations

from dmabuf_lab.kmodel import kstruct, kzalloc
from dmabuf_lab.twins import mirrors


class drm_gem_object(kstruct):
    """The dummy GEM object drm_gpuvm_resv_object_alloc() returns: only its ``resv``."""

    fields = ("resv",)


@mirrors("analogdevicesinc/linux@93a528f67ce5:drivers/gpu/drm/drm_gpuvm.c:drm_gpuvm_resv_object_alloc",
         gap="not read: a zeroed GEM object used only to lock a reservation object through drm_exec",
         revisions=("mainline-6.19", "mainline-7.1", "mainline-7.2", "mainline-7.3-rc6"))
def drm_gpuvm_resv_object_alloc(drm):
    """A zeroed dummy GEM object, NULL on failure."""
    return kzalloc(drm_gem_object)

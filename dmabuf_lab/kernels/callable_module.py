"""A module that can also be called as the function it is named after.

``dmabuf_lab.kernels.iommu_pgsize`` is both a module (holding the scalar
twin and its helpers) and, as the kernels' public face has always offered,
the function ``iommu_pgsize`` itself.  Python binds a submodule over a
package attribute of the same name, so the module forwards calls to its
function instead: ``from dmabuf_lab.kernels import iommu_pgsize;
iommu_pgsize(...)`` works whichever was imported first.
"""
from __future__ import annotations

import sys
import types


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs):
        return getattr(self, self.__name__.rsplit(".", 1)[1])(*args, **kwargs)


def make_callable(module_name: str) -> None:
    """Let the module ``module_name`` be called as its namesake function."""
    sys.modules[module_name].__class__ = _CallableModule

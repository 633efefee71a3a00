"""Shared pytest set-up for the whole suite."""
import os

# Hypothesis: deterministic and bounded on the 2-core CI machine.
from hypothesis import settings

settings.register_profile("lab", max_examples=int(os.environ.get("DMABUF_LAB_HYPOTHESIS_EXAMPLES", "60")),
                          deadline=None, derandomize=True)
settings.load_profile("lab")

"""Shared pytest set-up for the whole suite."""
import os

# Race searches run to their interleaving bound only, never to a time limit: a verdict the
# suite checks must not depend on how loaded the machine is (subprocesses inherit this).
os.environ["DMABUF_LAB_RACE_SECONDS"] = "none"

# Hypothesis: deterministic and bounded on the 2-core CI machine.
from hypothesis import settings

settings.register_profile("lab", max_examples=int(os.environ.get("DMABUF_LAB_HYPOTHESIS_EXAMPLES", "60")),
                          deadline=None, derandomize=True)
settings.load_profile("lab")

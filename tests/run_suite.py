"""The whole test suite, as `python3 lab.py test` runs it."""
import os
import sys

import pytest

if __name__ == "__main__":
    args = sys.argv[1:]
    if not any(a.startswith("-n") for a in args):
        args = ["-n", os.environ.get("DMABUF_LAB_TEST_WORKERS", "auto"), *args]
    sys.exit(pytest.main(["-q", "-p", "no:cacheprovider", *args]))

"""mm/gup.c: pinning user pages."""

"""Twins of kernel C, one package per file, laid out as the kernel tree (linux/<path>/<file>/<version>.py)."""

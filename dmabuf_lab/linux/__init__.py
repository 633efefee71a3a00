"""Twins of Linux kernel C, one package per C file, one module per release that changed it."""

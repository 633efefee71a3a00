"""Twins of Linux C files, one package per file, one module per release that changed it."""

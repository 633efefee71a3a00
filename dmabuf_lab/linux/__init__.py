"""Twins of Linux C files, one package per file path, one module per release that changed it."""

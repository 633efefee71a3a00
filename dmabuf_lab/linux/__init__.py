"""Twins of Linux C files, one package per file, named after its kernel path."""

"""Twins of kernel C files, one package per file, named after its path in the tree."""

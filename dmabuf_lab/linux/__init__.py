"""Twins of kernel C files, one package per file, laid out like the kernel tree."""

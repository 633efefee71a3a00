"""Twins of files under drivers/ in the kernel tree."""

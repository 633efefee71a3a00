"""Twins of files under drivers/."""

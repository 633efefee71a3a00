"""Twins of files under mm/."""

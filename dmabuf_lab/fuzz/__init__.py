"""Fuzzers that feed the lab hostile input and count what escapes its own error classes."""

"""Litmus scenarios: the TOML format (``scenario``), the runner that checks each
scenario under every revision it names (``runner``), and ``dmabuf-lab litmus``."""

"""Intel xe: VRAM exporter and PF importer of its VFs' VRAM BAR, one module per revision."""

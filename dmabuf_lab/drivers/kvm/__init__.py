"""KVM as a dma-buf importer (guest physical mapping; wants PFNs), one module per revision."""

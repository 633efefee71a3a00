"""drivers/pci/iomap.c: mapping a BAR for CPU access."""

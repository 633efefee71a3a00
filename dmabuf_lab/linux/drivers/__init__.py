"""drivers/: twins of driver C files."""

"""drivers/vfio/: VFIO."""

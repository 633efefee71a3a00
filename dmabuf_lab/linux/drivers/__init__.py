"""drivers/ of the kernel tree."""

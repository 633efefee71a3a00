"""What the lab found: the defect registry, its email form and its command."""

"""Re-run the lab's notebooks headless and collect what they produce under build/."""

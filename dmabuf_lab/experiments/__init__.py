"""Functions that turn the models into Polars frames for the notebooks, and the
sweep runner that computes them on any ``concurrent.futures`` executor."""

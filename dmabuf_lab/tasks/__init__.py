"""Independent tasks run on any ``concurrent.futures`` executor, cached by their inputs.

``engine`` (tasks, the cache, progress), ``executors`` (where they run:
this process, local processes or a Dask cluster) and ``grid`` (a function
swept over parameter points).  Litmus, the experiments and the notebook
runner all use this one engine.
"""

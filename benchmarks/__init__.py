"""Benchmarks against baselines measured in the same run (`make bench`, `python -m benchmarks.run`).

Each benchmark is a plain function that works on the Django database it is given and
returns a result object; run.py prepares throwaway databases and prints the figures.
"""

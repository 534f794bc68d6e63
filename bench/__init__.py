"""Benchmarks (`make bench`). Each module runs with `python -m bench.<name>`."""

"""Benchmarks of the az-futures SDK: `nox -s bench` (see bench/batch.py)."""

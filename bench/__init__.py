"""Benchmarks of Settle against baselines measured in the same run (`python -m bench`)."""

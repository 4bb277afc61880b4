"""Benchmarks W1-W6 (shared/design/benchmarks.md): ``python -m benchmarks [--smoke]``."""

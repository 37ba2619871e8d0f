"""Benchmarks: speed and memory targets, measured and reported (README.md)."""

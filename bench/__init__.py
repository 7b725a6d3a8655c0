"""Benchmarks that print figures; every figure is reported next to a baseline from the same run."""

"""Benchmarks of newsarchiver's hot paths, each a module with ``run(n, *, out) -> dict``."""

"""Benchmarks and the data generators they share with the tests."""

"""Benchmarks (`python bench/run.py`) and the fake Slack they share with the tests."""

"""Helpers the tests share (fakes, stores, processes); no test module imports another."""

"""Benchmarks behind `make bench`: each module measures one thing against the sandbox and returns its figures."""

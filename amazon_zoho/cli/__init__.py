"""Command-line entry points behind `make run` and `make dev`."""

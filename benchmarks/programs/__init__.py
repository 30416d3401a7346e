"""Whole programs for programs.py, one per file: `build(torch)` returns `run()`."""

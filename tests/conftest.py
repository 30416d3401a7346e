"""Test-suite settings: CI draws the same hypothesis examples on every run, so that a red run
always points at a reproducible case; local runs keep exploring new ones."""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

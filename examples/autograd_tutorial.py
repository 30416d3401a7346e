# The tutorial "Automatic differentiation with torch.autograd" (the Russian translation this
# project started from). Its code, unchanged except for the import line, lives in the package
# as ember/tutorial.py, so that `python -m ember.demo` runs the very same code; this runs it.
import runpy

runpy.run_module("ember.tutorial", run_name="__main__")

"""The interpreter: compiles checked programs to PyTorch, trains and scores them, exports them as Python."""

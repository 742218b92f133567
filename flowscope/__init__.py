"""Flowscope, installed: one import name. The repository keeps engine/, server/ and frontend/ at its
top; pyproject.toml maps them to flowscope.engine, flowscope.server and flowscope.frontend."""
__version__ = "0.1.0"

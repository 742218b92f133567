"""Flowscope's training engine: NumPy and torch only, no web code.

Every model trains with one flow — input, weights, linear, activation, loss, gradients, update —
and every step it takes is reported as that sequence of stage events (see flow.py).
"""
from flowscope import __version__  # noqa: F401  (one version, the package's)

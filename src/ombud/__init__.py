"""Ombud: confidential Code-of-Conduct incident reporting and response."""

__version__ = "0.1.0"

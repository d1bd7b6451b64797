"""The SDK's version, apart from the package's `__init__` so that any module may read it."""

__version__ = "0.1.0"

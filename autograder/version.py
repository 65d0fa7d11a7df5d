"""The version of mgrade: a leaf module, so any module can import it without importing the package
root's lazy entry points."""

__version__ = "0.1.0"

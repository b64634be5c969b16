"""The vpcdraw command line."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("vpcdraw")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

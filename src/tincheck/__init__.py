"""tincheck: does a psychological therapy service do what it says on the tin?

An independent outcome audit: the official NHS Talking Therapies figures reproduced
exactly, and the honest ones beside them.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("tincheck")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

from .auditing import Audit, audit
from .examples import example_path
from .ingest import DataError, Dataset, ValidationReport, read_dataset, validate
from .leaflets import leaflet

__all__ = ["Audit", "DataError", "Dataset", "ValidationReport", "__version__", "audit",
           "example_path", "leaflet", "read_dataset", "validate"]

"""Read a service's records into canonical tables, or say precisely what is wrong."""

from .dataset import Dataset, read_dataset, validate
from .findings import DataError, Example, Finding, ValidationReport

__all__ = ["DataError", "Dataset", "Example", "Finding", "ValidationReport", "read_dataset",
           "validate"]

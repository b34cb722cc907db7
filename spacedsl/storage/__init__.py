"""Storage: where trials are kept. `Store` is the SQLite store; `Trial` the record it keeps."""

from .sqlite import Store, StoreError
from .trials import COMPLETE, FAILED, INTERRUPTED, Trial

__all__ = ["COMPLETE", "FAILED", "INTERRUPTED", "Store", "StoreError", "Trial"]

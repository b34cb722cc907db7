"""Storage: where trials are kept. `Storage` is the seam (`open_storage` opens one), `Store`
the SQLite store, `Trial` the record they keep."""

from .base import Storage, open_storage, open_study
from .sqlite import Store, StoreError
from .trials import COMPLETE, FAILED, FULL, INTERRUPTED, TAKEN, Trial

__all__ = ["COMPLETE", "FAILED", "FULL", "INTERRUPTED", "TAKEN", "Storage", "Store", "StoreError", "Trial", "open_storage",
           "open_study"]

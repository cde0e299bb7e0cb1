"""Object storage for dossier documents: one interface, a backend chosen by configuration.

`FileStore` is for development and single-machine use; production runs `S3Store` against MinIO
(any S3 server). Importing this package has no side effects.
"""

from storage.base import ObjectStore, StoredObject, sweep_orphans, validate_key
from storage.errors import IntegrityError, ObjectExists, ObjectNotFound, StorageError
from storage.factory import store_from_config
from storage.filestore import FileStore
from storage.s3store import S3Store

__all__ = [
    "FileStore",
    "IntegrityError",
    "ObjectExists",
    "ObjectNotFound",
    "ObjectStore",
    "S3Store",
    "StorageError",
    "StoredObject",
    "store_from_config",
    "sweep_orphans",
    "validate_key",
]

"""Errors raised by every object store, whatever the backend."""


class StorageError(Exception):
    """The object store failed or refused an operation (base of every storage error)."""


class ObjectNotFound(StorageError):
    """No object is stored under the key."""


class ObjectExists(StorageError):
    """The key is taken: objects are never overwritten, a new upload gets a new key."""


class IntegrityError(StorageError):
    """The bytes do not match their SHA-256 or size (REL-6): never serve them."""

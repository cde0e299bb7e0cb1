"""Background work from the ``job`` table: the outbox of generated papers (REL-4, REL-5)."""

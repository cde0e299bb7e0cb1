"""Marking Vietnamese labels for translation without Flask.

The domain and the use cases keep their labels as plain Vietnamese strings; ``N_`` only marks
them so that ``pybabel extract`` puts them in the catalogue. The web layer translates them when
it renders a page (the ``label`` filter of service/web/templating.py).
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Return ``message`` unchanged; its only job is to be found by the extractor."""
    return message

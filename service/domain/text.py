"""Vietnamese text folded for search: "Thi đua" and "thi dua" fold to the same string."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Lower case without diacritics (đ → d), whitespace collapsed: what search compares."""
    decomposed = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())

"""The page's language from the browser's ``Accept-Language`` [RFC 9110 12.5.4]: Japanese or
English, whichever the reader ranks higher (English when neither is asked for)."""

from __future__ import annotations

from typing import Final

__all__ = ["LANGUAGES", "language"]

LANGUAGES: Final = ("en", "ja")


def language(header: str) -> str:
    """``ja`` or ``en`` for an ``Accept-Language`` header such as ``ja-JP,ja;q=0.9,en;q=0.8``."""
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES and quality > 0:
            ranked.append((-quality, index, primary))
    return min(ranked)[2] if ranked else "en"

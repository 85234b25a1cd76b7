"""The page's language from Accept-Language, and the page served in it."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from hemsnet.store.store import Store
from hemsnet.web.app import build_app
from hemsnet.web.config import DashboardConfig
from hemsnet.web.language import language


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7", "ja"),
        ("en-US,en;q=0.9,ja;q=0.8", "en"),
        ("fr-FR, ja;q=0.5", "ja"),
        ("en;q=0.2, ja;q=0.8", "ja"),
        ("ja;q=0", "en"),
        ("de", "en"),
        ("", "en"),
        ("ja;q=oops", "en"),
    ],
)
def test_the_language_the_reader_ranks_higher(header: str, lang: str) -> None:
    assert language(header) == lang


def test_the_page_comes_in_the_readers_language(tmp_path: Path) -> None:
    Store.open(tmp_path / "hemsnet.db").close()

    async def main() -> list[tuple[str, str]]:
        app = build_app(tmp_path / "hemsnet.db", DashboardConfig(), datetime.now)
        async with TestClient(TestServer(app)) as client:
            pages = []
            for header in ("ja-JP,ja;q=0.9", "en-GB"):
                response = await client.get("/", headers={"Accept-Language": header})
                assert response.headers["Vary"] == "Accept-Language"
                pages.append((response.headers["Content-Language"], await response.text()))
            return pages

    (ja, ja_page), (en, en_page) = asyncio.run(main())
    assert (ja, en) == ("ja", "en")
    assert '<html lang="ja">' in ja_page and '<html lang="en">' in en_page

"""Pagers: iterate every item of an AIP-158 list call while pages are fetched lazily behind the scenes.

`for alert in client.list_alerts(service="scoring"):` asks for the next page only when the items of the
previous one are used up, so breaking out early costs no extra call. `.pages()` yields the raw responses
(for `total_size`, or to process a page at a time). Each iteration starts from the first page again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Generic, TypeVar

from glm3.client.errors import Glm3Error

__all__ = ["AsyncPager", "Pager"]

Item = TypeVar("Item")
Page = TypeVar("Page")


def _check_token(previous: str, token: str) -> None:
    # A server handing back the token it was given would page forever.
    if token and token == previous:
        raise Glm3Error("the server returned the same page token twice; stopping to avoid an endless loop")


class Pager(Generic[Item, Page]):
    """Every item of a paged list call; `pages()` for the responses themselves."""

    def __init__(self, fetch: Callable[[str], Page], items_field: str) -> None:
        self._fetch = fetch
        self._field = items_field
        self.pages_fetched = 0
        self.last_page: Page | None = None

    @property
    def total_size(self) -> int | None:
        """`total_size` of the last page fetched (ListCandidates only); None before the first page."""
        return getattr(self.last_page, "total_size", None) if self.last_page is not None else None

    def pages(self) -> Iterator[Page]:
        token = ""
        while True:
            page = self._fetch(token)
            self.pages_fetched += 1
            self.last_page = page
            yield page
            next_token: str = page.next_page_token  # type: ignore[attr-defined]
            if not next_token:
                return
            _check_token(token, next_token)
            token = next_token

    def __iter__(self) -> Iterator[Item]:
        for page in self.pages():
            yield from getattr(page, self._field)


class AsyncPager(Generic[Item, Page]):
    """Every item of a paged list call, for `async for`; `pages()` for the responses themselves."""

    def __init__(self, fetch: Callable[[str], Awaitable[Page]], items_field: str) -> None:
        self._fetch = fetch
        self._field = items_field
        self.pages_fetched = 0
        self.last_page: Page | None = None

    @property
    def total_size(self) -> int | None:
        """`total_size` of the last page fetched (ListCandidates only); None before the first page."""
        return getattr(self.last_page, "total_size", None) if self.last_page is not None else None

    async def pages(self) -> AsyncIterator[Page]:
        token = ""
        while True:
            page = await self._fetch(token)
            self.pages_fetched += 1
            self.last_page = page
            yield page
            next_token: str = page.next_page_token  # type: ignore[attr-defined]
            if not next_token:
                return
            _check_token(token, next_token)
            token = next_token

    async def _items(self) -> AsyncIterator[Any]:
        async for page in self.pages():
            for item in getattr(page, self._field):
                yield item

    def __aiter__(self) -> AsyncIterator[Item]:
        return self._items()

    async def collect(self) -> list[Item]:
        """Every item, in a list (fetches every page)."""
        return [item async for item in self]

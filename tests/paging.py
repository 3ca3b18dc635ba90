"""Following paged answers the way a client does: `next_cursor`, or the `Link` header."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


def next_link(resp) -> str | None:
    """The URL of the next page from the answer's Link header, or None on the last page."""
    found = _NEXT.search(resp.headers.get("Link", ""))
    return found.group(1) if found else None


def follow_links(client, url: str, headers=None, *, most: int = 100) -> list:
    """Every page from `url` on, following rel="next" (at most `most` pages)."""
    pages = [client.get(url, headers=headers or {})]
    # A streamed page is read to its end before the next request, as a client would.
    pages[-1].get_data()
    while (link := next_link(pages[-1])) is not None:
        assert pages[-1].status_code == 200, pages[-1].get_data(as_text=True)[:500]
        assert len(pages) < most, "the Link header leads round in circles"
        # The link is absolute (BASE_URL); the test client's session cookie is for its own
        # host, so the request goes to the link's path and query.
        parts = urlsplit(link)
        pages.append(client.get(f"{parts.path}?{parts.query}", headers=headers or {}))
        pages[-1].get_data()
    assert pages[-1].status_code == 200, pages[-1].get_data(as_text=True)[:500]
    return pages

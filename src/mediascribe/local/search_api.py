"""The deployed stack's ``GET /search``, through the jobs API client (SigV4, its error handling)."""

from __future__ import annotations

from typing import Any

from mediascribe.remote import ApiClient


class SearchApiClient(ApiClient):
    """``ApiClient`` with the search route."""

    @classmethod
    def for_url(cls, base_url: str) -> SearchApiClient:
        """With boto3's default credentials and Region, as ``ApiClient.from_default_session``."""
        client = ApiClient.from_default_session(base_url)
        return cls(client.base_url, client.credentials, client.region, client.timeout_seconds)

    def search(self, params: dict[str, str]) -> dict[str, Any]:
        """One page of hits: ``{"hits": [...], "next_cursor": ...}``."""
        return self._call("GET", "search", query=params)

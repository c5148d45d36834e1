"""Route gspread's Google API calls to the local stand-in, and nowhere else.

`StandinAdapter` rewrites https://sheets.googleapis.com/... and
https://www.googleapis.com/... (Drive) to http://127.0.0.1:<port>/... and raises
`NonLoopbackRequestError` for any other URL, so a test can never reach the internet.
Proxies from the environment are ignored for the same reason.
"""

from __future__ import annotations

from typing import Any, Optional, Type
from urllib.parse import urlsplit, urlunsplit

import google.auth.credentials
import gspread
import requests
from google.auth.transport.requests import AuthorizedSession
from gspread.http_client import HTTPClient
from requests.adapters import HTTPAdapter

GOOGLE_API_HOSTS = frozenset({"sheets.googleapis.com", "www.googleapis.com"})
STANDIN_TOKEN = "standin-access-token"


class NonLoopbackRequestError(requests.exceptions.ConnectionError):
    """Raised instead of sending a request to a host other than the stand-in."""


class StandinAdapter(HTTPAdapter):
    """A requests adapter that sends Google API calls to the stand-in on 127.0.0.1."""

    def __init__(self, port: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.port = port

    def rewrite_url(self, url: str) -> str:
        """Return the stand-in URL for a Google API URL; raise for any other host."""
        parts = urlsplit(url)
        if parts.scheme == "https" and parts.hostname in GOOGLE_API_HOSTS and parts.port in (None, 443):
            return urlunsplit(("http", f"127.0.0.1:{self.port}", parts.path, parts.query, ""))
        if parts.scheme == "http" and parts.hostname == "127.0.0.1" and parts.port == self.port:
            return url
        raise NonLoopbackRequestError(
            f"Blocked a request to {parts.scheme}://{parts.netloc}: tests may only call the Sheets stand-in "
            f"on 127.0.0.1:{self.port} (Google hosts {sorted(GOOGLE_API_HOSTS)} are rewritten to it)."
        )

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Optional[dict[str, str]] = None,
    ) -> requests.Response:
        local = request.copy()
        local.url = self.rewrite_url(request.url or "")
        # No proxy and no TLS: the stand-in speaks plain HTTP on loopback.
        return super().send(local, stream=stream, timeout=timeout, verify=False, cert=None, proxies={})


def _mount(session: requests.Session, port: int) -> requests.Session:
    adapter = StandinAdapter(port)
    session.trust_env = False
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def make_session(port: int) -> requests.Session:
    """Return a plain requests.Session whose every request goes to the stand-in."""
    return _mount(requests.Session(), port)


class StaticTokenCredentials(google.auth.credentials.Credentials):
    """google-auth credentials with a fixed bearer token that never expires or refreshes."""

    def __init__(self, token: str = STANDIN_TOKEN):
        super().__init__()
        self.token = token

    def refresh(self, request: Any) -> None:
        # The token is fixed; there is nothing to refresh and no token server to call.
        return None


def make_authorized_session(port: int, token: str = STANDIN_TOKEN) -> AuthorizedSession:
    """Return a google-auth AuthorizedSession that sends `Authorization: Bearer <token>` to the stand-in."""
    session = AuthorizedSession(StaticTokenCredentials(token))
    return _mount(session, port)


def make_gspread_client(
    port: int, *, http_client: Type[HTTPClient] = HTTPClient, token: str = STANDIN_TOKEN
) -> gspread.Client:
    """Return a real gspread.Client that talks only to the stand-in on `port`.

    gspread 6.2.1 uses a given session as is (`Client(auth, session=...)`), so no real
    credentials are needed. Pass `http_client=gspread.http_client.BackOffHTTPClient`
    to test gspread's own retries.
    """
    credentials = StaticTokenCredentials(token)
    session = make_authorized_session(port, token)
    client = gspread.Client(auth=credentials, session=session, http_client=http_client)
    # HTTPClient skips storing `auth` when it gets a session; Client.expiry reads it.
    client.http_client.auth = credentials
    return client

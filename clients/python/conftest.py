"""Helpers for the msgraph-sdk suite: where tapsim listens, its control plane, and
Microsoft's Python Graph client pointed at it with a bearer token of our choosing.

The suite needs a running `tapsim serve`; its base URL comes from TAPSIM_URL
(.ci/sdk-tests starts the server and sets it).
"""

import asyncio
import inspect
import json
import os
import re
import urllib.error
import urllib.request
from typing import Any, Optional

import pytest
from kiota_abstractions.authentication import (
    AccessTokenProvider,
    AllowedHostsValidator,
    AnonymousAuthenticationProvider,
    BaseBearerTokenAuthenticationProvider,
)
from msgraph import GraphRequestAdapter, GraphServiceClient

# Only the loopback server is ever called: keep any proxy of the environment out of it
# (httpx and urllib both read these).
for _var in ("NO_PROXY", "no_proxy"):
    os.environ[_var] = "127.0.0.1,localhost"

LOOPBACK_URL = re.compile(r"^http://127\.0\.0\.1:[0-9]{1,5}$")


# The httpx clients made for the running test, closed when it ends.
_open_clients: list = []


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Runs an `async def` test in an event loop of its own (the SDK is async), and
    closes the SDK clients it made before that loop ends."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}

    async def main():
        try:
            await pyfuncitem.obj(**args)
        finally:
            while _open_clients:
                await _open_clients.pop().aclose()

    asyncio.run(main())
    return True


class StaticTokenProvider(AccessTokenProvider):
    """Hands kiota's stock bearer provider a token minted by tapsim's control plane.

    The Azure Identity provider that GraphServiceClient uses by default asks Entra for a
    token and refuses plain http; tapsim mints its own tokens, so this provider only
    returns the one it was given, and only for the loopback host.
    """

    def __init__(self, token: str) -> None:
        self._token = token
        self._hosts = AllowedHostsValidator(["127.0.0.1"])

    async def get_authorization_token(
        self, uri: str, additional_authentication_context: dict[str, Any] = {}
    ) -> str:
        return self._token if self._hosts.is_url_host_valid(uri) else ""

    def get_allowed_hosts_validator(self) -> AllowedHostsValidator:
        return self._hosts


class ControlPlane:
    """tapsim's /_tapsim endpoints: plain JSON over urllib, not Graph."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def call(self, method: str, path: str, body: Optional[dict] = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with self._opener.open(req, timeout=30) as resp:
                status, raw = resp.status, resp.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        return status, (json.loads(raw) if raw.strip() else None)

    def ok(self, method: str, path: str, body: Optional[dict] = None,
           status: Optional[int] = None) -> Any:
        """A call that must succeed: with the given status, or any 2xx when the contract
        names none (reset, group members, faults)."""
        got, payload = self.call(method, path, body)
        if status is None:
            assert 200 <= got < 300, f"{method} {path}: expected 2xx, got {got}: {payload}"
        else:
            assert got == status, f"{method} {path}: expected {status}, got {got}: {payload}"
        return payload

    def add_user(self, upn: str, display_name: str, user_type: str = "member",
                 roles: Optional[list[str]] = None, password: Optional[str] = None,
                 groups: Optional[list[str]] = None) -> dict:
        body: dict[str, Any] = {"userPrincipalName": upn, "displayName": display_name,
                                "userType": user_type, "roles": roles or []}
        if password is not None:
            body["password"] = password
        if groups:
            body["groups"] = groups
        return self.ok("POST", "/_tapsim/users", body, status=201)

    def token(self, upn: str) -> str:
        minted = self.ok("POST", "/_tapsim/tokens", {"userPrincipalName": upn}, status=200)
        assert minted["token_type"] == "Bearer", minted
        assert minted["expires_in"] == 3600, minted
        assert isinstance(minted["access_token"], str) and minted["access_token"], minted
        return minted["access_token"]

    def sign_in(self, upn: str, **credential: str) -> dict:
        return self.ok("POST", "/_tapsim/signIns", {"userPrincipalName": upn, **credential},
                       status=200)


@pytest.fixture(scope="session")
def base_url() -> str:
    url = os.environ.get("TAPSIM_URL", "").rstrip("/")
    if not LOOPBACK_URL.match(url):
        pytest.fail(f"TAPSIM_URL must be tapsim serve's loopback base URL "
                    f"(http://127.0.0.1:PORT), got {url!r}; .ci/sdk-tests sets it")
    return url


@pytest.fixture(scope="session")
def cp(base_url: str) -> ControlPlane:
    return ControlPlane(base_url)


@pytest.fixture(scope="session")
def graph(base_url: str):
    """graph(token) -> a GraphServiceClient acting as the token's user (None: no token).

    For use inside one async test: its httpx client is closed when the test ends, since
    it must not outlive the test's event loop.
    """

    def make(token: Optional[str]) -> GraphServiceClient:
        if token is None:
            auth = AnonymousAuthenticationProvider()
        else:
            auth = BaseBearerTokenAuthenticationProvider(StaticTokenProvider(token))
        adapter = GraphRequestAdapter(auth)
        _open_clients.append(adapter._http_client)
        adapter.base_url = base_url + "/v1.0"
        return GraphServiceClient(request_adapter=adapter)

    return make


def pytest_configure(config):
    # The SDK's generated code warns about its own deprecated classes at import.
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:kiota_abstractions.*")
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning:msgraph.*")

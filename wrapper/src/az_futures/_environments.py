"""Where requests go: named presets for the exchange's hosts and the local sandbox."""

from __future__ import annotations

import urllib.request
from collections.abc import Mapping
from types import MappingProxyType
from urllib.parse import urlsplit

from ._errors import ConfigurationError

ENVIRONMENTS: Mapping[str, str] = MappingProxyType(
    {
        "production": "https://f-api.azverse.xyz",
        "test": "https://f-api.az-qa.xyz",
        "sandbox": "http://127.0.0.1:8080",
    }
)
"""The named base URLs (read-only)."""


def resolve_base_url(base_url: str) -> str:
    """A preset name (`production`, `test`, `sandbox`) or an http(s) URL, without a trailing `/`."""
    if not isinstance(base_url, str) or not base_url.strip():
        raise ConfigurationError(
            "base_url is missing: pass 'production', 'test', 'sandbox' or an http(s) URL"
        )
    url = ENVIRONMENTS.get(base_url.strip().lower(), base_url.strip())
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"base_url {base_url!r} is neither a preset ({', '.join(ENVIRONMENTS)}) nor an "
            "http(s) URL such as 'https://f-api.azverse.xyz'"
        )
    if parts.username is not None or parts.password is not None:
        raise ConfigurationError(
            "base_url must not carry a user name or password: the exchange authenticates by "
            "signature, and credentials in a URL would show in reprs and logs"
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(
            f"base_url {base_url!r} must not carry a query or fragment: give scheme, host and "
            "port only"
        )
    try:
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError as error:
        raise ConfigurationError(f"base_url {base_url!r} has an invalid port: {error}") from None
    return url.rstrip("/")


def proxy_for(base_url: str) -> str | None:
    """The proxy the environment names for `base_url` (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`,
    less `NO_PROXY`), as `httpx.Client` would use it; None for a direct connection."""
    parts, proxies = urlsplit(base_url), urllib.request.getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy or urllib.request.proxy_bypass(parts.netloc):
        return None
    return proxy if "://" in proxy else f"http://{proxy}"

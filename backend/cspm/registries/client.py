"""Registry clients: OCI Distribution v2 over HTTP (httpx), and ECR (boto3).

OCI: a 401 names the scheme in ``WWW-Authenticate``. ``Basic`` is answered with the
credentials; ``Bearer realm=…,service=…,scope=…`` (Docker Hub, GHCR, Harbor) with a token from
the realm, fetched with the credentials when there are any (anonymous pull otherwise) and
kept per scope. ``/v2/_catalog`` and ``/tags/list`` are paged with ``n`` and the ``Link``
header. A manifest's digest is the registry's ``Docker-Content-Digest`` (else the SHA-256 of
its bytes); an index (multi-arch) reports its platforms.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import boto3
import httpx
from botocore.config import Config

MANIFEST_TYPES = ("application/vnd.oci.image.index.v1+json",
                  "application/vnd.docker.distribution.manifest.list.v2+json",
                  "application/vnd.oci.image.manifest.v1+json",
                  "application/vnd.docker.distribution.manifest.v2+json")
INDEX_TYPES = frozenset(MANIFEST_TYPES[:2])
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')
MAX_PAGES = 1000


class RegistryError(Exception):
    """The registry refused or could not be reached; the message says which, without secrets."""


@dataclass(frozen=True)
class ManifestInfo:
    digest: str
    media_type: str | None
    platforms: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TaggedDigest:
    """What a repository lists: each digest with its tags."""

    digest: str
    tags: list[str]
    media_type: str | None
    platforms: list[str]


class RegistryClient(Protocol):
    async def repositories(self) -> list[str]: ...
    async def images(self, repository: str) -> list[TaggedDigest]: ...
    async def close(self) -> None: ...


def _platforms(body: dict[str, Any]) -> list[str]:
    found = []
    for entry in body.get("manifests", []):
        platform = entry.get("platform") or {}
        if platform.get("os") and platform.get("architecture"):
            variant = f"/{platform['variant']}" if platform.get("variant") else ""
            found.append(f"{platform['os']}/{platform['architecture']}{variant}")
    return sorted(set(found))


def group_by_digest(pairs: list[tuple[str, ManifestInfo]]) -> list[TaggedDigest]:
    digests: dict[str, TaggedDigest] = {}
    for tag, info in pairs:
        known = digests.get(info.digest)
        tags = sorted({*(known.tags if known else []), tag})
        digests[info.digest] = TaggedDigest(info.digest, tags, info.media_type, info.platforms)
    return sorted(digests.values(), key=lambda item: item.digest)


class OciRegistryClient:
    def __init__(self, base_url: str, *, username: str | None, password: str | None, timeout: float,
                 page_size: int, max_repositories: int, max_tags: int) -> None:
        self.base_url = base_url.rstrip("/")
        self.credentials = (username, password) if username and password else None
        self.http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout, follow_redirects=False)
        self.page_size = page_size
        self.max_repositories = max_repositories
        self.max_tags = max_tags
        self.tokens: dict[str, str] = {}
        self.basic = False

    async def close(self) -> None:
        await self.http.aclose()

    async def _token(self, challenge: str) -> str:
        params = dict(_CHALLENGE_PARAM.findall(challenge))
        realm = params.pop("realm", None)
        if not realm:
            raise RegistryError("the registry asked for a bearer token without naming its realm")
        key = params.get("scope", "")
        if key not in self.tokens:
            try:
                response = await self.http.get(realm, params=params, auth=self.credentials)
            except httpx.HTTPError as exc:
                raise RegistryError(f"could not reach the token service: {type(exc).__name__}") from None
            if response.status_code != 200:
                raise RegistryError(f"the token service refused the credentials: HTTP {response.status_code}")
            body = response.json()
            token = body.get("token") or body.get("access_token")
            if not isinstance(token, str):
                raise RegistryError("the token service answered without a token")
            self.tokens[key] = token
        return self.tokens[key]

    async def _request(self, method: str, url: str, *, params: dict[str, Any] | None = None,
                       accept: str | None = None) -> httpx.Response:
        headers = {"Accept": accept} if accept else {}
        for _ in range(2):  # at most one challenge answered per request
            auth = self.credentials if self.basic else None
            try:
                response = await self.http.request(method, url, params=params, headers=headers, auth=auth)
            except httpx.HTTPError as exc:
                raise RegistryError(f"could not reach the registry: {type(exc).__name__}: {exc}") from None
            challenge = response.headers.get("WWW-Authenticate", "")
            if response.status_code != 401 or "Authorization" in headers or self.basic:
                return response
            if challenge.lower().startswith("bearer"):
                headers["Authorization"] = f"Bearer {await self._token(challenge)}"
            elif challenge.lower().startswith("basic") and self.credentials:
                self.basic = True
            else:
                return response
        return response

    @staticmethod
    def _raise_for(response: httpx.Response, what: str) -> None:
        if response.status_code in (401, 403):
            raise RegistryError(f"{what}: the registry refused access (HTTP {response.status_code})")
        if response.status_code != 200:
            raise RegistryError(f"{what}: HTTP {response.status_code}")

    async def _paged(self, path: str, key: str, limit: int, what: str) -> list[str]:
        values: list[str] = []
        url: str | None = path
        params: dict[str, Any] | None = {"n": self.page_size}
        for _ in range(MAX_PAGES):
            if url is None or len(values) >= limit:
                break
            response = await self._request("GET", url, params=params)
            self._raise_for(response, what)
            values += response.json().get(key) or []
            next_link = response.links.get("next", {}).get("url")
            url, params = (next_link, None) if next_link else (None, None)
        return values[:limit]

    async def check(self) -> None:
        response = await self._request("GET", "/v2/")
        self._raise_for(response, "the registry's API root")

    async def repositories(self) -> list[str]:
        return await self._paged("/v2/_catalog", "repositories", self.max_repositories, "the catalogue")

    async def manifest(self, repository: str, reference: str) -> ManifestInfo:
        response = await self._request("GET", f"/v2/{repository}/manifests/{reference}",
                                       accept=", ".join(MANIFEST_TYPES))
        self._raise_for(response, f"manifest {repository}:{reference}")
        media_type = response.headers.get("Content-Type", "").split(";")[0] or None
        digest = response.headers.get("Docker-Content-Digest") or \
            f"sha256:{hashlib.sha256(response.content).hexdigest()}"
        platforms = _platforms(response.json()) if media_type in INDEX_TYPES else []
        return ManifestInfo(digest, media_type, platforms)

    async def images(self, repository: str) -> list[TaggedDigest]:
        tags = await self._paged(f"/v2/{repository}/tags/list", "tags", self.max_tags, f"the tags of {repository}")
        pairs = [(tag, await self.manifest(repository, tag)) for tag in tags]
        return group_by_digest(pairs)


class EcrRegistryClient:
    """ECR through boto3 (``describe_repositories``, ``describe_images`` paginators)."""

    def __init__(self, *, region: str, registry_id: str, access_key_id: str, secret_access_key: str,
                 endpoint_url: str | None, timeout: float, max_repositories: int, max_tags: int) -> None:
        self.registry_id = registry_id
        self.client = boto3.client("ecr", region_name=region, endpoint_url=endpoint_url,
                                   aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key,
                                   config=Config(retries={"mode": "adaptive", "max_attempts": 5},
                                                 connect_timeout=timeout, read_timeout=timeout))
        self.max_repositories = max_repositories
        self.max_tags = max_tags

    async def close(self) -> None:
        self.client.close()

    def _pages(self, operation: str, key: str, limit: int, **arguments: Any) -> Iterator[dict[str, Any]]:
        count = 0
        for page in self.client.get_paginator(operation).paginate(registryId=self.registry_id, **arguments):
            for item in page.get(key, []):
                if count >= limit:
                    return
                count += 1
                yield item

    async def pull_login(self) -> tuple[str, str]:
        """(username, password) for ``docker login`` to this registry: ECR's authorization token is
        base64 of "AWS:<password>", valid 12 hours, fetched anew for every scan."""
        def fetch() -> str:
            data = self.client.get_authorization_token(registryIds=[self.registry_id]).get("authorizationData") or [{}]
            return str(data[0].get("authorizationToken") or "")
        try:
            username, separator, password = base64.b64decode(await asyncio.to_thread(fetch),
                                                             validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            separator = ""
        if not separator or not username or not password:
            raise RegistryError("ECR answered an authorization token that is not base64 of user:password")
        return username, password

    async def repositories(self) -> list[str]:
        return await asyncio.to_thread(lambda: [repository["repositoryName"] for repository in self._pages(
            "describe_repositories", "repositories", self.max_repositories)])

    async def images(self, repository: str) -> list[TaggedDigest]:
        def listing() -> list[TaggedDigest]:
            return sorted((TaggedDigest(image["imageDigest"], sorted(image.get("imageTags", [])),
                                        image.get("imageManifestMediaType"), [])
                           for image in self._pages("describe_images", "imageDetails", self.max_tags,
                                                    repositoryName=repository)), key=lambda item: item.digest)
        return await asyncio.to_thread(listing)

"""The body of `leadSearchByPhoneList`: JSON, or a multipart `file` of one phone per line.

Multipart is recognised by the body itself (it starts with `--boundary`), whatever the
Content-Type says: the vendor's SDK sends `application/json` on every request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from leadstate.api.bodies import PhoneListSearchRequest
from leadstate.domain import InvalidRequest, normalize_phone
from leadstate.domain.criteria import SearchCriteria
from leadstate.requests.criteria import MAX_LIST_ITEMS

_NAME = re.compile(rb'\bname="([^"]*)"', re.IGNORECASE)
_FILENAME = re.compile(rb'\bfilename="', re.IGNORECASE)


@dataclass(frozen=True)
class PhoneListQuery:
    """Normalised phones (digits) and the campaigns to look in (empty: all)."""

    phones: tuple[str, ...]
    campaign_ids: tuple[int, ...]

    def criteria(self) -> SearchCriteria:
        """As search criteria."""
        return SearchCriteria(phones=self.phones, campaign_ids=self.campaign_ids)


def multipart_parts(body: bytes) -> list[tuple[bytes, bytes]] | None:
    """(headers, content) of each part, or None when the body is not multipart."""
    if not body.startswith(b"--"):
        return None
    end = body.find(b"\n")
    if end < 3:
        return None
    newline = b"\r\n" if body[end - 1 : end] == b"\r" else b"\n"
    boundary = body[2:end].rstrip(b"\r")
    if not boundary or len(boundary) > 200 or b" " in boundary.strip():
        return None
    parts: list[tuple[bytes, bytes]] = []
    for chunk in (newline + body).split(newline + b"--" + boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        head, separator, content = chunk.removeprefix(newline).partition(newline + newline)
        if separator:
            parts.append((head, content))
    return parts


def _file_lines(parts: list[tuple[bytes, bytes]]) -> tuple[bytes, list[int]]:
    content: bytes | None = None
    campaigns: list[int] = []
    for head, data in parts:
        name_match = _NAME.search(head)
        name = name_match.group(1) if name_match else b""
        if name == b"campaignIds":
            for item in re.split(rb"[,\s]+", data.strip()):
                if item:
                    if not item.isdigit() or len(item) > 10:
                        raise InvalidRequest("campaignIds must hold whole numbers")
                    campaigns.append(int(item))
        elif content is None and (name == b"file" or _FILENAME.search(head)):
            content = data
    if content is None:
        raise InvalidRequest("the multipart body has no 'file' part")
    return content, campaigns


def _from_multipart(parts: list[tuple[bytes, bytes]]) -> PhoneListQuery:
    content, campaigns = _file_lines(parts)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidRequest("the phone file must be UTF-8 text, one phone per line") from None
    phones = [normalize_phone(line.split(",")[0]) for line in text.splitlines()]
    return _query([p for p in phones if p], campaigns)


def _from_json(body: bytes) -> PhoneListQuery:
    try:
        request = PhoneListSearchRequest.model_validate_json(body)
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors(include_url=False)]
        ) from None
    phones = [normalize_phone(p) for p in request.phoneList]
    if any(not p for p in phones):
        raise InvalidRequest("phoneList must hold phone numbers (digits)")
    return _query(phones, request.campaignIds)


def _query(phones: list[str], campaigns: list[int]) -> PhoneListQuery:
    if not phones:
        raise InvalidRequest("phoneList must hold at least one phone number")
    if len(phones) > MAX_LIST_ITEMS:
        raise InvalidRequest(f"at most {MAX_LIST_ITEMS} phone numbers per request")
    if any(c > 2_147_483_647 for c in campaigns):
        raise InvalidRequest("campaignIds must be campaign ids")
    return PhoneListQuery(tuple(dict.fromkeys(phones)), tuple(dict.fromkeys(campaigns)))


def parse_phone_list(body: bytes) -> PhoneListQuery:
    """The query a `leadSearchByPhoneList` body asks for; 400 when it asks nothing clear."""
    parts = multipart_parts(body)
    if parts is not None:
        return _from_multipart(parts)
    if not body.strip():
        raise InvalidRequest('send {"phoneList": [...], "campaignIds": [...]} or a multipart file')
    return _from_json(body)


async def phone_list_body(request: Request) -> PhoneListQuery:
    """Dependency: the parsed body of a phone-list search."""
    return parse_phone_list(await request.body())

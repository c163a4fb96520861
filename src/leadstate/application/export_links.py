"""What leaves the service for an export: signed per-recipient links, the emails that
carry them, and the criteria as the export's event keeps them (personal values hashed).

A link is `LEADSTATE_PUBLIC_URL/exports/{token}`: the token names the export and the
recipient and is signed with an installation secret (HMAC-SHA256).
"""

from __future__ import annotations

import base64
import hmac
import re
from email.message import EmailMessage
from typing import Any

from leadstate.application.secrets import Secrets
from leadstate.domain import DomainError, NotFound, normalize_phone
from leadstate.domain.criteria import SearchCriteria
from leadstate.domain.export import Export
from leadstate.domain.values import text_key
from leadstate.requests.criteria import criteria_record

# Criteria whose values are personal data (SPEC §5): kept only as keyed hashes.
PERSONAL_CRITERIA = frozenset(
    {
        "firstName",
        "lastName",
        "address1",
        "address2",
        "city",
        "zip",
        "emailAddress",
        "auxData1",
        "auxData2",
        "auxData3",
        "auxData4",
        "auxData5",
        "leadPhoneNum",
        "leadPhoneNumbers",
        "physicalStates",
    }
)
_PHONE_CRITERIA = frozenset({"leadPhoneNum", "leadPhoneNumbers"})
_TOKEN = re.compile(r"^([0-9a-f]{32})\.([0-9]{1,4})\.([A-Za-z0-9_-]{43})$")


class LinkUnknown(NotFound):
    """A forged, malformed or never-issued export link (HTTP 404)."""


class LinkGone(DomainError):
    """An export link that no longer works: its time is up or the export was withdrawn
    (HTTP 410). The message never says "expired" (SPEC §6)."""


class ExportLinks:
    """Signing and reading links, hashing criteria, writing the emails."""

    def __init__(self, secrets: Secrets, public_url: str, sender: str) -> None:
        self.secrets = secrets
        self.public_url = public_url.rstrip("/")
        self.sender = sender

    def hashed_criteria(self, criteria: SearchCriteria) -> dict[str, Any]:
        """The criteria as stored in the export's event: personal-data values (names,
        addresses, phones, emails, aux data) replaced by a keyed hash of their
        normalised value, so equal criteria hash alike and none can be read back."""

        def one(name: str, value: Any) -> Any:
            text = str(value).strip()
            text = normalize_phone(text) if name in _PHONE_CRITERIA else text_key(text)
            return "hmac-sha256:" + self.secrets.hexdigest("criteria-hash", text.encode())

        out: dict[str, Any] = {}
        for name, value in criteria_record(criteria).items():
            if name in PERSONAL_CRITERIA:
                out[name] = (
                    [one(name, v) for v in value] if isinstance(value, list) else one(name, value)
                )
            else:
                out[name] = value
        return out

    def _signature(self, export_id: str, recipient_no: int) -> str:
        payload = f"{export_id}.{recipient_no}".encode()
        digest = self.secrets.digest("export-links", payload)
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def token(self, export_id: str, recipient_no: int) -> str:
        """The signed token of one recipient's link."""
        return f"{export_id}.{recipient_no}.{self._signature(export_id, recipient_no)}"

    def link(self, export_id: str, recipient_no: int) -> str:
        """The URL mailed to recipient `recipient_no`."""
        return f"{self.public_url}/exports/{self.token(export_id, recipient_no)}"

    def read_token(self, token: str) -> tuple[str, int]:
        """(export id, recipient number) of a genuine token; LinkUnknown otherwise."""
        match = _TOKEN.match(token)
        if match is None:
            raise LinkUnknown("no such export link")
        export_id, number = match.group(1), int(match.group(2))
        if not hmac.compare_digest(match.group(3), self._signature(export_id, number)):
            raise LinkUnknown("no such export link")
        return export_id, number

    def message(self, export: Export, recipient_no: int) -> EmailMessage:
        """The email of one recipient of a ready export."""
        hours = export.link_ttl / 3600
        span = f"{hours:g} hours" if hours >= 1 else f"{export.link_ttl} seconds"
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = export.recipients[recipient_no]
        message["Subject"] = f"Lead export of account {export.account_id} is ready"
        message["Message-ID"] = f"<export-{export.export_id}-{recipient_no}@leadstate>"
        message.set_content(
            f"An export of {export.row_count} lead(s) of account {export.account_id} was "
            f"requested on {export.requested_at.isoformat()}.\n\n"
            f"Download it (a ZIP holding one CSV) here:\n\n"
            f"    {self.link(export.export_id, recipient_no)}\n\n"
            f"The link is yours alone and works for {span} from when this email was sent; "
            "then the file is deleted.\n"
        )
        return message

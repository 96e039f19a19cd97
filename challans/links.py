"""Unguessable, expiring links to a challan's evidence images.

A link signs `<evidence id>.<challan public token>` with a `TimestampSigner`; the view
that serves it also checks the session's access, so a leaked link alone shows nothing
after the session ends, and every link stops working after EVIDENCE_LINK_MAX_AGE_S.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.urls import reverse

from challans.models import Challan
from violations.models import Evidence

SALT = "challans.portal.evidence"


class LinkExpired(Exception):
    """The link was genuine but is older than EVIDENCE_LINK_MAX_AGE_S."""


class LinkInvalid(Exception):
    """The link was altered, or belongs to another challan."""


def evidence_url(evidence: Evidence, challan: Challan) -> str:
    signed = signing.TimestampSigner(salt=SALT).sign(f"{evidence.pk}.{challan.public_token}")
    return reverse(
        "portal:evidence", kwargs={"public_token": challan.public_token, "signed": signed}
    )


def evidence_id_from(signed: str, challan: Challan) -> int:
    """The evidence id a link names, after checking its signature, age and challan.

    Raises:
        LinkExpired: a genuine link past its maximum age.
        LinkInvalid: anything else that is not a link we made for this challan.
    """
    max_age_s = settings.NIGRAN["EVIDENCE_LINK_MAX_AGE_S"]
    try:
        value = signing.TimestampSigner(salt=SALT).unsign(signed, max_age=max_age_s)
    except signing.SignatureExpired:
        raise LinkExpired(signed)
    except signing.BadSignature:
        raise LinkInvalid(signed)
    evidence_id, _, token = value.partition(".")
    if token != str(challan.public_token) or not evidence_id.isdigit():
        raise LinkInvalid(signed)
    return int(evidence_id)

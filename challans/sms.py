"""SMS delivery behind a small interface; ``settings.SMS_BACKEND`` names the class.

A real gateway (Jazz, Telenor, Zong bulk SMS) is one more class with ``send``.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsError(RuntimeError):
    """The gateway refused or could not take the message."""


class SmsBackend(Protocol):
    def send(self, to: str, text: str) -> str:
        """Send one message; return the gateway's message id or raise SmsError."""
        ...


class LoggingSmsBackend:
    """Development default: the message goes to the log, nothing leaves the machine."""

    def send(self, to: str, text: str) -> str:
        message_id = uuid.uuid4().hex
        logger.info("SMS %s to %s: %s", message_id, to, text)
        return message_id


@dataclass(frozen=True)
class SentSms:
    to: str
    text: str
    message_id: str


class LocmemSmsBackend:
    """Keeps messages in ``LocmemSmsBackend.outbox`` (a class attribute), for tests."""

    outbox: list[SentSms] = []

    def send(self, to: str, text: str) -> str:
        message_id = uuid.uuid4().hex
        LocmemSmsBackend.outbox.append(SentSms(to, text, message_id))
        return message_id


def get_sms_backend() -> SmsBackend:
    backend_class = import_string(settings.SMS_BACKEND)
    return backend_class()


def send_sms(to: str, text: str) -> str:
    return get_sms_backend().send(to, text)

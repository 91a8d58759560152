"""Domain errors: what a caller did that the rules refuse. Standard library only."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the returns domain was broken; the message says which, in English."""

    code = "domain_error"


class CurrencyMismatch(DomainError):
    code = "currency_mismatch"


class IllegalTransition(DomainError):
    """A workflow action that the return's current status does not allow."""

    code = "illegal_transition"

    def __init__(self, action: str, status: str) -> None:
        super().__init__(f"cannot {action} a return that is {status}")
        self.action = action
        self.status = status


class InvalidReturn(DomainError):
    code = "invalid_return"

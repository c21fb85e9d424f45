"""The directory's records: structures, their services and addresses, and the checksums
(Luhn for SIREN and SIRET, the key of a French VAT number) every generated identifier passes."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Address", "Service", "Structure", "luhn_check_digit", "luhn_is_valid", "vat_number"]


def luhn_is_valid(digits: str) -> bool:
    """Whether a string of digits passes the Luhn check (SIREN and SIRET keys)."""
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def luhn_check_digit(payload: str) -> str:
    """The digit that, appended to ``payload``, makes a Luhn-valid number."""
    for candidate in "0123456789":
        if luhn_is_valid(payload + candidate):
            return candidate
    raise ValueError(f"not a string of digits: {payload!r}")  # pragma: no cover


def vat_number(siren: str) -> str:
    """French intra-EU VAT number of a SIREN: ``FR`` + key + SIREN."""
    key = (12 + 3 * (int(siren) % 97)) % 97
    return f"FR{key:02d}{siren}"


@dataclass(frozen=True, slots=True)
class Service:
    """A service of a structure (``serviceId``, ``serviceCode``, ``serviceLabel``, ``isActive``)."""

    service_id: int
    code: str
    label: str
    active: bool = True


@dataclass(frozen=True, slots=True)
class Address:
    """Postal address of a structure (native ``adresse...`` fields)."""

    detail: str
    postal_code: str
    city: str
    country_code: str = "FR"
    country_label: str = "France"


@dataclass(slots=True)
class Structure:
    """One Chorus Pro structure, public or private."""

    structure_id: int
    identifier: str
    name: str
    private: bool
    email: str
    address: Address
    identifier_type: str = "SIRET"
    status: str = "ACTIVE"
    service_code_required: bool = False
    engagement_number_required: bool = False
    engagement_or_service_management: bool = False
    services: tuple[Service, ...] = ()
    vat: str | None = field(default=None)

    def __post_init__(self) -> None:
        if self.vat is None and self.identifier_type == "SIRET":
            self.vat = vat_number(self.identifier[:9])

    @property
    def siren(self) -> str:
        """The first nine digits of the SIRET."""
        return self.identifier[:9]

    @property
    def active(self) -> bool:
        """``status == "ACTIVE"``."""
        return self.status == "ACTIVE"

    def service(self, code: str) -> Service | None:
        """The service with that code, active or not."""
        for service in self.services:
            if service.code == code:
                return service
        return None

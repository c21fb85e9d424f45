"""Seeded directory of Chorus Pro structures, their services and the technical accounts.

Four fixed parties (a supplier, two recipients and a validator) are always present with their
exact ids, SIRETs, names and VAT numbers. Around them the directory generates, from the seed,
a few dozen plausible public structures (communes, hospitals, schools, ...) and some private
companies. Every SIRET and SIREN passes the Luhn check and every VAT number carries the right
key, so client-side validation accepts them.

Records and checksums live in ``_directory_records``, the seeded draws in
``_directory_generator``; this module holds the fixed parties and the look-ups.
"""

from __future__ import annotations

import re

from ._directory_generator import Generator, add_shared_siret, generate_private, generate_public
from ._directory_records import (
    Address,
    Service,
    Structure,
    luhn_check_digit,
    luhn_is_valid,
    vat_number,
)

__all__ = [
    "CH_EXEMPLEVILLE_ID",
    "DEMO_SUPPLIER_ID",
    "OMNI_LOGIN",
    "SAINT_EXEMPLE_ID",
    "VALIDATOR_ID",
    "Address",
    "Directory",
    "Service",
    "Structure",
    "luhn_check_digit",
    "luhn_is_valid",
    "vat_number",
]

DEMO_SUPPLIER_ID = 31150744
"""ATELIER NUMERIQUE DU LITTORAL: the supplier the "omni" account submits as."""
SAINT_EXEMPLE_ID = 25827464
"""COMMUNE DE SAINT-EXEMPLE: the recipient of the examples."""
CH_EXEMPLEVILLE_ID = 26011579
"""CENTRE HOSPITALIER D'EXEMPLEVILLE: the recipient after recycling in the examples."""
VALIDATOR_ID = 31207718
"""EXEMPLE MAITRISE D'OEUVRE: the validator of the examples."""
OMNI_LOGIN = "omni"
"""The Chorus Pro login attached to every structure (the default account of the sandbox)."""

_TECH_LOGIN = re.compile(r"TECH_(\d{14})@cpro\.fr")


# The four parties of REFERENCE.md §11: (structure id, SIRET, name, private, e-mail, street,
# postal code, city).
_PARTIES: tuple[tuple[int, str, str, bool, str, str, str, str], ...] = (
    (DEMO_SUPPLIER_ID, "84213765500010", "ATELIER NUMERIQUE DU LITTORAL", True,
     "compta@atelier-numerique.example", "12 quai des Exemples", "99200", "PORT-EXEMPLE"),
    (SAINT_EXEMPLE_ID, "21999012400014", "COMMUNE DE SAINT-EXEMPLE", False,
     "comptabilite@mairie-saint-exemple.example", "1 place de la Mairie", "99100", "SAINT-EXEMPLE"),
    (CH_EXEMPLEVILLE_ID, "26999045300012", "CENTRE HOSPITALIER D'EXEMPLEVILLE", False,
     "factures@ch-exempleville.example", "3 avenue des Hopitaux", "99300", "EXEMPLEVILLE"),
    (VALIDATOR_ID, "90315528100012", "EXEMPLE MAITRISE D'OEUVRE", True,
     "contact@exemple-moe.example", "8 rue des Architectes", "99300", "EXEMPLEVILLE"),
)  # fmt: skip
# The services of the two public parties, each with one inactive (former) service.
_PARTY_SERVICES: dict[int, tuple[Service, ...]] = {
    SAINT_EXEMPLE_ID: (
        Service(10458732, "FIN-001", "Direction des finances", True),
        Service(10458733, "TECH-002", "Services techniques", True),
        Service(10391120, "CULT-OLD", "Service culture (ancien)", False),
    ),
    CH_EXEMPLEVILLE_ID: (
        Service(10502217, "SERV-ACHATS", "Service des achats", True),
        Service(10502218, "PHARMA", "Pharmacie a usage interieur", True),
        Service(10502219, "BIOMED-OLD", "Service biomedical (ancien)", False),
    ),
}


def _fixed_structures() -> list[Structure]:
    """The four fixed parties: supplier, recipient, recipient after recycling, validator."""
    structures = [
        Structure(structure_id, siret, name, private, email, Address(street, postal_code, city))
        for structure_id, siret, name, private, email, street, postal_code, city in _PARTIES
    ]
    for structure in structures:
        if structure.structure_id in _PARTY_SERVICES:
            # Both public parties require a service code; the hospital an engagement too.
            structure.service_code_required = True
            structure.engagement_number_required = structure.structure_id == CH_EXEMPLEVILLE_ID
            structure.engagement_or_service_management = True
            structure.services = _PARTY_SERVICES[structure.structure_id]
    return structures


class Directory:
    """All structures of the sandbox, their services, and login -> structures resolution.

    ``public_count`` and ``private_count`` are the numbers of *generated* structures, on top
    of the four fixed parties. Everything is deterministic for a seed.
    """

    def __init__(self, seed: int = 0, *, public_count: int = 60, private_count: int = 20) -> None:
        if public_count < 2 or private_count < 0:
            raise ValueError("public_count must be >= 2 and private_count >= 0")
        self.seed = seed
        fixed = _fixed_structures()
        gen = Generator(
            seed,
            (s.structure_id for s in fixed),
            (svc.service_id for s in fixed for svc in s.services),
        )
        gen.sirens.update(s.siren for s in fixed)
        gen.names.update(s.name for s in fixed)
        generated = generate_public(gen, public_count)
        generated += generate_private(gen, private_count)
        self.shared_siret = add_shared_siret(gen, generated)
        self._by_id: dict[int, Structure] = {}
        self._by_identifier: dict[str, list[Structure]] = {}
        self._by_siren: dict[str, list[Structure]] = {}
        for structure in fixed + generated:
            self._index(structure)
        self._ordered = sorted(self._by_id.values(), key=lambda s: (s.name, s.structure_id))
        self._accounts: dict[str, frozenset[int] | None] = {}

    def _index(self, structure: Structure) -> None:
        if structure.structure_id in self._by_id:
            raise ValueError(f"duplicate structure id {structure.structure_id}")
        self._by_id[structure.structure_id] = structure
        self._by_identifier.setdefault(structure.identifier, []).append(structure)
        self._by_siren.setdefault(structure.siren, []).append(structure)

    # -- look-ups ------------------------------------------------------------------------

    def get(self, structure_id: int) -> Structure | None:
        """The structure with that technical id (``idStructureCPP``), if any."""
        return self._by_id.get(structure_id)

    def require(self, structure_id: int) -> Structure:
        """The structure an invoice references (invoices only reference known structures)."""
        structure = self._by_id.get(structure_id)
        if structure is None:  # pragma: no cover - a bug in the sandbox, not a caller error
            raise RuntimeError(f"structure {structure_id} vanished from the directory")
        return structure

    def structures(self) -> list[Structure]:
        """Every structure, ordered by name then id."""
        return list(self._ordered)

    def find_by_identifier(
        self, identifier: str, identifier_type: str | None = None
    ) -> list[Structure]:
        """Structures whose identifier matches; a SIREN (type ``SIREN`` or 9 digits) matches
        every SIRET of that company."""
        kind = (identifier_type or "").upper()
        if kind == "SIREN" or (not kind and len(identifier) == 9 and identifier.isdigit()):
            return list(self._by_siren.get(identifier, ()))
        found = self._by_identifier.get(identifier, ())
        if kind:
            return [s for s in found if s.identifier_type == kind]
        return list(found)

    def search(
        self,
        *,
        identifier: str | None = None,
        identifier_type: str | None = None,
        company_name: str | None = None,
        private_only: bool = False,
    ) -> list[Structure]:
        """Every match of the structure search, ordered by name then id."""
        if identifier:
            candidates = sorted(
                self.find_by_identifier(identifier, identifier_type),
                key=lambda s: (s.name, s.structure_id),
            )
        else:
            candidates = self._ordered
            kind = (identifier_type or "").upper()
            if kind and kind != "SIREN":
                candidates = [s for s in candidates if s.identifier_type == kind]
        if company_name:
            needle = company_name.casefold()
            candidates = [s for s in candidates if needle in s.name.casefold()]
        if private_only:
            candidates = [s for s in candidates if s.private]
        return list(candidates)

    # -- accounts ------------------------------------------------------------------------

    def account_structures(self, login: str) -> frozenset[int] | None:
        """Structure ids of a Chorus Pro login; ``None`` means every structure ("omni").

        ``TECH_<SIRET>@cpro.fr`` is attached to the structure(s) with that SIRET. Every other
        login, including a ``TECH_`` login whose SIRET is unknown, acts as the demo account.
        """
        try:
            return self._accounts[login]
        except KeyError:
            pass
        match = _TECH_LOGIN.fullmatch(login)
        ids: frozenset[int] | None = None
        if match:
            found = self._by_identifier.get(match.group(1), ())
            if found:
                ids = frozenset(s.structure_id for s in found)
        if len(self._accounts) < 10_000:  # bounded cache: logins come from clients
            self._accounts[login] = ids
        return ids

    def acts_for(self, login: str, structure_id: int) -> bool:
        """Whether the login is attached to that structure."""
        ids = self.account_structures(login)
        return ids is None or structure_id in ids

    def supplier_for(self, login: str) -> int:
        """The structure a login submits invoices as: the demo supplier for "omni"-like
        logins, otherwise the lowest id among the login's structures."""
        ids = self.account_structures(login)
        if ids is None:
            return DEMO_SUPPLIER_ID
        return min(ids)

"""Seeded directory of Chorus Pro structures, their services and the technical accounts.

Four fixed parties (a supplier, two recipients and a validator) are always present with their
exact ids, SIRETs, names and VAT numbers. Around them the directory generates, from the seed,
a few dozen plausible public structures (communes, hospitals, schools, ...) and some private
companies. Every SIRET and SIREN passes the Luhn check and every VAT number carries the right
key, so client-side validation accepts them.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

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
_LA_POSTE_SIREN = "356000000"  # its SIRETs follow a different checksum rule: never generate it


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


# --- Name material for the generated structures --------------------------------------------

_TOWN_BASES = (
    "BEAUMONT", "VILLENEUVE", "MONTFORT", "ROCHEBRUNE", "BELLEVUE", "CHATEAUNEUF", "FONTAINE",
    "MARTIGNY", "VALMONT", "BOISSY", "CLAIREFONTAINE", "AUBERIVE", "ORVAL", "MERLIEUX",
    "LANDREVILLE",
    "ESTRAMBERT", "ROQUEMAURE", "PLEUBIAN", "KERVIGNAC", "ARGENTEUIL-LE-BOIS", "BRIVEZAC",
    "MONTAUBANEL", "VERNEUIL", "CHANTEMERLE", "LUZERNE", "BOURGNEUF", "ETANGSOLE", "RIVESALTES",
    "SAULXURES", "ORMESSON",
)  # fmt: skip
_SAINTS = (
    "MARTIN", "ANDRE", "GERMAIN", "LAURENT", "JULIEN", "PIERRE", "ETIENNE", "DENIS", "HILAIRE",
    "GEORGES", "SAUVEUR", "AGNAN",
)  # fmt: skip
_TOWN_SUFFIXES = (
    "", "", "", "-SUR-LOIRE", "-SUR-MER", "-LES-BAINS", "-EN-VAL", "-LE-CHATEL", "-LA-FORET",
    "-DU-LAC",
)  # fmt: skip
_PEOPLE = (
    "JEAN MOULIN", "VICTOR HUGO", "MARIE CURIE", "JULES FERRY", "LOUIS PASTEUR", "JEAN JAURES",
    "SIMONE VEIL", "CONDORCET", "GEORGE SAND", "ALBERT CAMUS", "JACQUES PREVERT", "COLETTE",
)  # fmt: skip
_DEPARTEMENTS = (
    "DE LA SARTHE", "DU CANTAL", "DE LA CREUSE", "DES VOSGES", "DU GERS", "DE L'AUBE", "DU JURA",
    "DE LA MANCHE",
)  # fmt: skip
_SURNAMES = (
    "MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND", "LEROY",
    "MOREAU", "SIMON", "LAURENT", "LEFEBVRE", "MICHEL", "GARCIA", "DAVID", "BERTRAND", "ROUX",
)  # fmt: skip
_TRADES = (
    ("BATIMENT", "SARL {s} BATIMENT"),
    ("INFO", "{s} INFORMATIQUE SAS"),
    ("TRANSPORT", "TRANSPORTS {s} ET FILS"),
    ("CONSEIL", "CABINET {s} CONSEIL"),
    ("NETTOYAGE", "{s} PROPRETE SERVICES"),
    ("PAYSAGE", "PAYSAGES {s} SARL"),
    ("ELEC", "ELECTRICITE GENERALE {s}"),
    ("IMPRIMERIE", "IMPRIMERIE {s}"),
    ("TRAITEUR", "TRAITEUR {s} SAS"),
)

# (SIREN prefix, name template, e-mail domain prefix, service catalogue key)
_PUBLIC_KINDS: tuple[tuple[str, str, str, str, int], ...] = (
    ("21", "COMMUNE {de_town}", "mairie", "commune", 6),
    ("26", "CENTRE HOSPITALIER {de_town}", "ch", "hopital", 2),
    ("19", "LYCEE {person} - {town}", "lycee", "eple", 2),
    ("19", "COLLEGE {person} - {town}", "college", "eple", 1),
    ("24", "COMMUNAUTE DE COMMUNES DU PAYS {de_town}", "cc", "interco", 1),
    ("25", "SYNDICAT INTERCOMMUNAL DES EAUX {de_town}", "siea", "interco", 1),
    ("26", "CENTRE COMMUNAL D'ACTION SOCIALE {de_town}", "ccas", "commune", 1),
    ("19", "UNIVERSITE {de_town}", "univ", "universite", 1),
    ("22", "DEPARTEMENT {dept}", "departement", "departement", 1),
)

_SERVICE_CATALOGUE: dict[str, tuple[tuple[str, str], ...]] = {
    "commune": (
        ("FIN-001", "Direction des finances"),
        ("TECH-002", "Services techniques"),
        ("ECOLES", "Service des ecoles"),
        ("VOIRIE", "Voirie et reseaux"),
        ("CULTURE", "Service culturel"),
        ("RH", "Ressources humaines"),
    ),
    "hopital": (
        ("SERV-ACHATS", "Service des achats"),
        ("PHARMA", "Pharmacie a usage interieur"),
        ("BIOMED", "Service biomedical"),
        ("DSI", "Direction des systemes d'information"),
        ("RESTAU", "Restauration"),
    ),
    "eple": (
        ("INTENDANCE", "Intendance"),
        ("CDI", "Centre de documentation"),
        ("RESTAU", "Service de restauration"),
    ),
    "interco": (
        ("FIN", "Pole finances"),
        ("ENV", "Environnement et dechets"),
        ("TRAVAUX", "Direction des travaux"),
    ),
    "universite": (
        ("AGENCE-COMPTABLE", "Agence comptable"),
        ("DSI", "Direction du numerique"),
        ("LABO-CHIMIE", "Laboratoire de chimie"),
        ("BU", "Bibliotheque universitaire"),
    ),
    "departement": (
        ("DGS", "Direction generale des services"),
        ("ROUTES", "Direction des routes"),
        ("SOCIAL", "Action sociale"),
        ("COLLEGES", "Direction de l'education"),
    ),
}

_STREETS = (
    "place de la Mairie", "rue de la Republique", "avenue Jean Jaures", "rue des Ecoles",
    "boulevard Pasteur", "rue du Marche", "chemin des Vignes", "allee des Tilleuls",
)  # fmt: skip


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class _Generator:
    """Draws the seeded part of the directory; one instance per Directory."""

    def __init__(self, seed: int, taken_ids: Iterable[int], taken_service_ids: Iterable[int]):
        self.rng = random.Random(f"factpulse-sandbox-directory:{seed}")
        self.ids: set[int] = set(taken_ids)
        self.service_ids: set[int] = set(taken_service_ids)
        self.sirens: set[str] = set()
        self.names: set[str] = set()

    def structure_id(self) -> int:
        return self._fresh(self.ids, 20_000_000, 40_000_000)

    def service_id(self) -> int:
        return self._fresh(self.service_ids, 10_000_000, 11_000_000)

    def _fresh(self, taken: set[int], low: int, high: int) -> int:
        while True:
            candidate = self.rng.randrange(low, high)
            if candidate not in taken:
                taken.add(candidate)
                return candidate

    def siret(self, siren_prefix: str) -> str:
        while True:
            body = siren_prefix + "".join(
                str(self.rng.randrange(10)) for _ in range(8 - len(siren_prefix))
            )
            siren = body + luhn_check_digit(body)
            if siren in self.sirens or siren == _LA_POSTE_SIREN:
                continue
            self.sirens.add(siren)
            nic = "".join(str(self.rng.randrange(10)) for _ in range(4))
            return siren + nic + luhn_check_digit(siren + nic)

    def town(self) -> str:
        if self.rng.random() < 0.35:
            base = "SAINT-" + self.rng.choice(_SAINTS)
        else:
            base = self.rng.choice(_TOWN_BASES)
        return base + self.rng.choice(_TOWN_SUFFIXES)

    def address(self, town: str) -> Address:
        number = self.rng.randrange(1, 120)
        department = self.rng.randrange(1, 96)
        return Address(
            detail=f"{number} {self.rng.choice(_STREETS)}",
            postal_code=f"{department:02d}{self.rng.randrange(0, 1000):03d}",
            city=town,
        )

    def unique_name(self, make: Callable[[], tuple[str, str]]) -> tuple[str, str]:
        for _ in range(1000):
            name, town = make()
            if name not in self.names:
                self.names.add(name)
                return name, town
        raise RuntimeError("could not draw a unique structure name")  # pragma: no cover

    def services(self, catalogue_key: str, need_active: bool) -> tuple[Service, ...]:
        catalogue = _SERVICE_CATALOGUE[catalogue_key]
        count = self.rng.randrange(1 if need_active else 0, min(4, len(catalogue)) + 1)
        chosen = self.rng.sample(catalogue, count)
        services = [
            Service(self.service_id(), code, label, active=self.rng.random() >= 0.2)
            for code, label in chosen
        ]
        if need_active and not any(service.active for service in services):
            first = services[0]
            services[0] = Service(first.service_id, first.code, first.label, active=True)
        return tuple(services)


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
        gen = _Generator(
            seed,
            (s.structure_id for s in fixed),
            (svc.service_id for s in fixed for svc in s.services),
        )
        gen.sirens.update(s.siren for s in fixed)
        gen.names.update(s.name for s in fixed)
        generated = self._generate_public(gen, public_count)
        generated += self._generate_private(gen, private_count)
        self.shared_siret = self._add_shared_siret(gen, generated)
        self._by_id: dict[int, Structure] = {}
        self._by_identifier: dict[str, list[Structure]] = {}
        self._by_siren: dict[str, list[Structure]] = {}
        for structure in fixed + generated:
            self._index(structure)
        self._ordered = sorted(self._by_id.values(), key=lambda s: (s.name, s.structure_id))
        self._accounts: dict[str, frozenset[int] | None] = {}

    # -- generation ----------------------------------------------------------------------

    @staticmethod
    def _generate_public(gen: _Generator, count: int) -> list[Structure]:
        weights = [kind[4] for kind in _PUBLIC_KINDS]
        # The first three get each requirement mix for sure; the rest are drawn.
        forced = ["service", "engagement", "both"]
        structures: list[Structure] = []
        for index in range(count):
            prefix, template, mail, catalogue, _ = gen.rng.choices(_PUBLIC_KINDS, weights)[0]

            def make(template: str = template) -> tuple[str, str]:
                town = gen.town()
                de_town = ("D'" if town[0] in "AEIOU" else "DE ") + town
                name = template.format(
                    town=town,
                    de_town=de_town,
                    person=gen.rng.choice(_PEOPLE),
                    dept=gen.rng.choice(_DEPARTEMENTS),
                )
                return name, town

            name, town = gen.unique_name(make)
            mix = (
                forced[index]
                if index < len(forced)
                else gen.rng.choices(["none", "service", "engagement", "both"], [5, 3, 2, 1])[0]
            )
            service_required = mix in ("service", "both")
            engagement_required = mix in ("engagement", "both")
            structures.append(
                Structure(
                    gen.structure_id(),
                    gen.siret(prefix),
                    name,
                    private=False,
                    email=f"factures@{mail}-{_slug(town)}.example",
                    address=gen.address(town),
                    # Keep the forced examples active so tests can submit to them.
                    status="INACTIVE" if index >= 3 and gen.rng.random() < 0.08 else "ACTIVE",
                    service_code_required=service_required,
                    engagement_number_required=engagement_required,
                    engagement_or_service_management=(
                        service_required or engagement_required or gen.rng.random() < 0.3
                    ),
                    services=gen.services(catalogue, need_active=service_required),
                )
            )
        if all(s.active for s in structures):
            structures[-1].status = "INACTIVE"
        return structures

    @staticmethod
    def _generate_private(gen: _Generator, count: int) -> list[Structure]:
        structures: list[Structure] = []
        for _ in range(count):
            key, template = gen.rng.choice(_TRADES)

            def make(template: str = template) -> tuple[str, str]:
                return template.format(s=gen.rng.choice(_SURNAMES)), gen.town()

            name, town = gen.unique_name(make)
            structures.append(
                Structure(
                    gen.structure_id(),
                    gen.siret(str(gen.rng.randrange(3, 10))),
                    name,
                    private=True,
                    email=f"compta@{_slug(name)}.example",
                    address=gen.address(town),
                    status="INACTIVE" if gen.rng.random() < 0.1 else "ACTIVE",
                    services=(
                        (Service(gen.service_id(), "COMPTA", "Comptabilite fournisseurs"),)
                        if key in ("BATIMENT", "INFO") and gen.rng.random() < 0.5
                        else ()
                    ),
                )
            )
        return structures

    @staticmethod
    def _add_shared_siret(gen: _Generator, generated: list[Structure]) -> str:
        """Give a generated commune a twin (its water board) with the very same SIRET."""
        commune = next(
            (s for s in generated if s.name.startswith("COMMUNE ") and s.active),
            next(s for s in generated if not s.private),
        )
        town = commune.address.city
        de_town = ("D'" if town[0] in "AEIOU" else "DE ") + town
        twin = Structure(
            gen.structure_id(),
            commune.identifier,
            f"REGIE MUNICIPALE DES EAUX {de_town}",
            private=False,
            email=f"regie-eaux@{_slug(town)}.example",
            address=commune.address,
            services=(Service(gen.service_id(), "REGIE", "Regie des eaux"),),
        )
        generated.append(twin)
        return commune.identifier

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

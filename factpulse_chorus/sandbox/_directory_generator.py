"""The seeded part of the directory: name material, and the draws of plausible public
structures and private companies around the four fixed parties (deterministic per seed)."""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterable

from ._directory_records import Address, Service, Structure, luhn_check_digit

__all__ = ["Generator", "add_shared_siret", "generate_private", "generate_public"]

_LA_POSTE_SIREN = "356000000"  # its SIRETs follow a different checksum rule: never generate it


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


class Generator:
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


def generate_public(gen: Generator, count: int) -> list[Structure]:
    """``count`` public structures; the first three require a service, an engagement, both."""
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


def generate_private(gen: Generator, count: int) -> list[Structure]:
    """``count`` private companies, a few with a service of their own."""
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


def add_shared_siret(gen: Generator, generated: list[Structure]) -> str:
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

"""The sandbox directory (fixed parties, invariants, accounts) and the structures endpoints,
Domain methods called directly with plain dicts."""

from __future__ import annotations

from typing import Any

import pytest
from sandbox_domain_support import RECIPIENT_LOGIN, SUPPLIER_LOGIN, VALIDATOR_LOGIN, example

from factpulse_chorus.sandbox._directory import (
    CH_EXEMPLEVILLE_ID,
    DEMO_SUPPLIER_ID,
    SAINT_EXEMPLE_ID,
    VALIDATOR_ID,
    Directory,
    luhn_is_valid,
    vat_number,
)
from factpulse_chorus.sandbox._domain import Domain

# == directory ==============================================================================

PARTIES = [
    (DEMO_SUPPLIER_ID, "ATELIER NUMERIQUE DU LITTORAL", "84213765500010", "FR59842137655"),
    (SAINT_EXEMPLE_ID, "COMMUNE DE SAINT-EXEMPLE", "21999012400014", "FR38219990124"),
    (CH_EXEMPLEVILLE_ID, "CENTRE HOSPITALIER D'EXEMPLEVILLE", "26999045300012", "FR31269990453"),
    (VALIDATOR_ID, "EXEMPLE MAITRISE D'OEUVRE", "90315528100012", "FR66903155281"),
]


@pytest.mark.parametrize("seed", [0, 7])
def test_directory_fixed_parties(seed: int) -> None:
    directory = Directory(seed)
    for structure_id, name, siret, vat in PARTIES:
        structure = directory.get(structure_id)
        assert structure is not None
        assert (structure.name, structure.identifier, structure.vat) == (name, siret, vat)
        assert structure.active


def test_directory_invariants() -> None:
    directory = Directory(0)
    structures = directory.structures()
    assert len({s.structure_id for s in structures}) == len(structures)
    for structure in structures:
        assert luhn_is_valid(structure.identifier), structure
        assert luhn_is_valid(structure.siren), structure
        assert len(structure.identifier) == 14
        assert structure.vat == vat_number(structure.siren)
        assert structure.siren != "356000000"
        assert len(str(structure.structure_id)) == 8
        if structure.service_code_required:
            assert any(s.active for s in structure.services), structure
    public = [s for s in structures if not s.private]
    assert len(public) >= 50
    assert any(s.private for s in structures)
    assert any(not s.active for s in structures)
    assert any(s.service_code_required and not s.engagement_number_required for s in public)
    assert any(s.engagement_number_required and not s.service_code_required for s in public)
    assert any(s.engagement_number_required and s.service_code_required for s in public)
    assert any(not s.active for s in structures for s in s.services)
    assert sum(s.identifier == directory.shared_siret for s in structures) == 2
    prefixes = ("COMMUNE ", "CENTRE HOSPITALIER ", "LYCEE ")
    for prefix in prefixes:
        assert any(s.name.startswith(prefix) for s in public), prefix
    service_ids = [svc.service_id for s in structures for svc in s.services]
    assert len(service_ids) == len(set(service_ids))


def test_directory_deterministic_per_seed() -> None:
    def fingerprint(directory: Directory) -> list[tuple[Any, ...]]:
        return [
            (s.structure_id, s.identifier, s.name, s.status, s.services)
            for s in directory.structures()
        ]

    assert fingerprint(Directory(3)) == fingerprint(Directory(3))
    assert fingerprint(Directory(3)) != fingerprint(Directory(4))


def test_directory_accounts() -> None:
    directory = Directory(0)
    assert directory.account_structures("omni") is None
    assert directory.account_structures("someone@example.org") is None
    assert directory.account_structures("TECH_00000000000000@cpro.fr") is None
    assert directory.account_structures(SUPPLIER_LOGIN) == frozenset({DEMO_SUPPLIER_ID})
    shared = directory.account_structures(f"TECH_{directory.shared_siret}@cpro.fr")
    assert shared is not None
    assert len(shared) == 2
    assert directory.supplier_for("omni") == DEMO_SUPPLIER_ID
    assert directory.supplier_for("unknown") == DEMO_SUPPLIER_ID
    assert directory.supplier_for(VALIDATOR_LOGIN) == VALIDATOR_ID
    assert directory.acts_for(RECIPIENT_LOGIN, SAINT_EXEMPLE_ID)
    assert not directory.acts_for(RECIPIENT_LOGIN, DEMO_SUPPLIER_ID)


# == structures ==============================================================================


def test_structures_examples(domain: Domain) -> None:
    assert domain.structures_rechercher(
        "omni", example("structures-rechercher.request")
    ) == example("structures-rechercher.response")
    assert domain.structures_consulter("omni", example("structures-consulter.request")) == example(
        "structures-consulter.response"
    )
    assert domain.structures_lister_services("omni", SAINT_EXEMPLE_ID) == example(
        "structures-services.response"
    )
    assert domain.structures_obtenir_id_depuis_siret(
        SUPPLIER_LOGIN, example("structures-obtenir-id-depuis-siret.request")
    ) == example("structures-obtenir-id-depuis-siret.response")


def test_structures_rechercher_filters(domain: Domain) -> None:
    reply = domain.structures_rechercher("omni", {"companyName": "commune"})
    assert reply["returnCode"] == 0
    assert reply["total"] > 10
    assert len(reply["structures"]) == 10
    assert all("COMMUNE" in s["structureName"] for s in reply["structures"])
    private = domain.structures_rechercher("omni", {"restrictPrivateStructures": True})
    assert private["total"] > 0
    ids = {s["structureId"] for s in private["structures"]}
    assert all(domain.directory.get(i).private for i in ids)  # type: ignore[union-attr]
    by_siren = domain.structures_rechercher(
        "omni", {"structureIdentifier": "219990124", "structureIdentifierType": "SIREN"}
    )
    assert [s["structureId"] for s in by_siren["structures"]] == [SAINT_EXEMPLE_ID]
    nothing = domain.structures_rechercher("omni", {"companyName": "NO SUCH NAME"})
    assert nothing == {
        "returnCode": 0,
        "message": "0 structures found",
        "structures": [],
        "total": 0,
    }


def test_structures_errors(domain: Domain) -> None:
    reply = domain.structures_consulter("omni", {"structureId": 99999999})
    assert set(reply) == {"returnCode", "message"}
    assert reply["returnCode"] != 0
    assert domain.structures_lister_services("omni", 99999999) == {
        "returnCode": 1,
        "message": "Structure 99999999 not found",
        "total": 0,
    }
    none = domain.structures_obtenir_id_depuis_siret("omni", {"siret": "12345678200010"})
    assert none["structureId"] == 0
    assert none["structureIdentifier"] == "12345678200010"
    assert none["structureName"] is None
    several = domain.structures_obtenir_id_depuis_siret(
        "omni", {"siret": domain.directory.shared_siret}
    )
    assert several["structureId"] == 0
    assert "several" in several["message"].lower()

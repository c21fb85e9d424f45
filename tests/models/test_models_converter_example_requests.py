"""The specification's example requests: produced exactly from the models; the copies of
the examples match the shared spec."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from models_support import CREDENTIALS
from payloads import example, example_names

from factpulse_chorus._converter import to_wire
from factpulse_chorus.models import factures, structures, transverses, valideur
from factpulse_chorus.models.common import (
    ChorusProCredentials,
    FileFormat,
    InvoiceStatusCode,
    SearchPagination,
    SortDirection,
    TargetStatus,
    ValidatorAction,
)

# The spec's examples are copied under tests/data/examples/ so that the suite runs anywhere;
# when the shared spec is present, a test checks the copies are still verbatim.
SHARED_EXAMPLES = Path("/work/shared/api/examples")


def _example_requests() -> list[tuple[str, Any]]:
    pagination = SearchPagination
    return [
        (
            "structures-rechercher",
            structures.StructuresRechercherRequest(
                structure_identifier="21999012400014",
                structure_identifier_type="SIRET",
                restrict_private_structures=False,
            ),
        ),
        (
            "structures-consulter",
            structures.StructuresConsulterRequest(structure_id=25827464, language_code="fr"),
        ),
        (
            "structures-obtenir-id-depuis-siret",
            structures.StructuresObtenirIdDepuisSiretRequest(
                credentials=CREDENTIALS, siret="21999012400014", identifier_type="SIRET"
            ),
        ),
        (
            "factures-soumettre",
            factures.FacturesSoumettreRequest(
                invoice_number="F2025-0042",
                invoice_date=date(2025, 3, 10),
                payment_due_date=date(2025, 4, 9),
                structure_id=25827464,
                service_code="FIN-001",
                total_net_amount=Decimal("1042.08"),
                vat_amount=Decimal("208.42"),
                total_gross_amount=Decimal("1250.5"),  # sent as "1250.50"
                attachment_id=4817263,
                attachment_label="Facture F2025-0042 (Factur-X)",
                comment="Maintenance du site web - fevrier 2025",
                purchase_order_reference="BC-2025-117",
                contract_reference="MAPA-2024-031",
            ),
        ),
        ("factures-consulter", factures.FacturesConsulterRequest(invoice_id=7412589)),
        (
            "factures-rechercher-fournisseur",
            factures.FacturesRechercherFournisseurRequest(
                deposit_date_from=date(2025, 3, 1),
                deposit_date_to=date(2025, 3, 31),
                status=["MISE_A_DISPOSITION", "SUSPENDUE", "MISE_EN_PAIEMENT"],
                recipients=[factures.RecipientFilter(recipient_structure_id=25827464)],
                pagination=pagination(
                    page=1, page_size=20, sort_column="dateDepot", sort_direction="Descendant"
                ),
            ),
        ),
        (
            "factures-rechercher-destinataire",
            factures.FacturesRechercherDestinataireRequest(
                downloaded_by_recipient=False,
                deposit_date_from=date(2025, 3, 1),
                deposit_date_to=date(2025, 3, 31),
                status=[InvoiceStatusCode.MISE_A_DISPOSITION, InvoiceStatusCode.COMPLETEE],
                pagination=pagination(
                    page=1,
                    page_size=10,
                    sort_column="dateDepot",
                    sort_direction=SortDirection.DESCENDANT,
                ),
            ),
        ),
        (
            "factures-telecharger-groupe",
            factures.FacturesTelechargerGroupeRequest(
                invoice_ids=[7412589, 7398810],
                include_attachments=True,
                file_format=FileFormat.ZIP,
            ),
        ),
        (
            "factures-traiter-facture-recue",
            factures.FacturesTraiterFactureRecueRequest(
                invoice_id=7412589,
                new_status=TargetStatus.SUSPENDUE,
                reason="Bon de commande signe manquant",
                comment="Merci de joindre le bon de commande BC-2025-117 signe par le service.",
            ),
        ),
        (
            "factures-completer",
            factures.FacturesCompleterRequest(
                invoice_id=7412589,
                comment="Bon de commande signe joint comme demande.",
                attachments=[
                    factures.AdditionalAttachment(
                        attachment_id=4817302,
                        name="bon_de_commande_BC-2025-117.pdf",
                    )
                ],
            ),
        ),
        (
            "factures-recycler",
            factures.FacturesRecyclerRequest(
                invoice_id=7420031,
                structure_id=26011579,
                service_code="SERV-ACHATS",
                engagement_number="EJ2025000387",
            ),
        ),
        (
            "transverses-ajouter-fichier",
            transverses.TransversesAjouterFichierRequest(
                file_base64=(
                    "JVBERi0xLjcKJeLjz9MKMSAwIG9iago8PC9UeXBlL0NhdGFsb2cvTWV0YWRhdGEgMiAwIFI..."
                ),
                name="F2025-0042_facturx.pdf",
                mime_type="application/pdf",
                extension="PDF",
            ),
        ),
        (
            "valideur-rechercher",
            valideur.ValideurRechercherRequest(
                validator_structure_id=31207718,
                status="A_VALIDER_1",
                deposit_date_from=date(2025, 3, 1),
                deposit_date_to=date(2025, 3, 31),
                pagination=pagination(
                    page_size=10, sort_column="dateDepot", sort_direction="ascendant"
                ),
            ),
        ),
        ("valideur-consulter", valideur.ValideurConsulterRequest(invoice_id=7433150)),
        (
            "valideur-traiter",
            valideur.ValideurTraiterRequest(
                invoice_id=7433150,
                action=ValidatorAction.VALIDATION,
                comment="Travaux conformes au proces-verbal de reception du 2025-03-12.",
            ),
        ),
    ]


@pytest.mark.parametrize(("name", "request_model"), _example_requests(), ids=lambda v: str(v)[:30])
def test_every_example_request_is_produced_exactly(name: str, request_model: Any) -> None:
    assert to_wire(request_model) == example(f"{name}.request")


def test_credentials_body_is_exact_and_sandbox_always_sent() -> None:
    assert (
        to_wire(CREDENTIALS) == example("structures-obtenir-id-depuis-siret.request")["credentials"]
    )
    production = ChorusProCredentials.production(
        piste_client_id="id", piste_client_secret="s", chorus_pro_login="l", chorus_pro_password="p"
    )
    assert production.sandbox is False
    assert to_wire(production)["sandbox"] is False
    request = factures.FacturesConsulterRequest(invoice_id=1, credentials=production)
    assert to_wire(request)["credentials"]["sandbox"] is False


def test_services_request_is_only_a_path_parameter() -> None:
    assert to_wire(structures.StructuresListerServicesRequest(structure_id=25827464)) == {
        "idStructureCPP": 25827464
    }


def test_example_files_match_the_shared_spec() -> None:
    names = example_names()
    assert len(names) == 36  # the 31 endpoint examples, the token pair and three errors
    if SHARED_EXAMPLES.is_dir():  # the shared spec is only on the development machines
        assert names == sorted(path.stem for path in SHARED_EXAMPLES.glob("*.json"))
    for name in names:
        path = SHARED_EXAMPLES / f"{name}.json"
        if path.exists():
            assert json.loads(path.read_text(encoding="utf-8")) == example(name), name

"""Typed usage of the blocking client: all 16 endpoints, pagination and the poller.

Checked by mypy --strict and pyright (strict) in test_static_types.py, and run against
the sandbox there too, so it stays true.
"""

from __future__ import annotations

from datetime import date

from usage_common import PDF, RECIPIENT_SIRET, VALIDATOR_STRUCTURE_ID, purchase_order, typed_invoice

from factpulse_chorus import ChorusClient, InvoiceStatusCode, models


def every_endpoint(client: ChorusClient, seeded_for_validation: int) -> list[str]:
    """Call the 16 endpoints once each; return what was seen, for the caller to check."""
    seen: list[str] = []
    # structures: 1-4
    found = client.structures.rechercher(
        structure_identifier=RECIPIENT_SIRET, structure_identifier_type="SIRET"
    )
    seen += [s.structure_name for s in found.structures]
    siret = client.structures.obtenir_id_depuis_siret(RECIPIENT_SIRET)
    structure_id: int = siret.structure_id
    details = client.structures.consulter(structure_id, language_code="fr")
    needs_service = details.parameters is not None and details.parameters.service_code_required
    services = client.structures.lister_services(structure_id)
    service_code = next(s.service_code for s in services.services if s.is_active)
    # transverses: 13
    upload = client.transverses.ajouter_fichier(PDF, name="F-TYPED-1.pdf")
    attachment_id: int = upload.attachment_id
    # factures: 5-12
    submitted = client.factures.soumettre(
        **typed_invoice(structure_id, service_code if needs_service else None, attachment_id)
    )
    invoice_id: int = submitted.invoice_id
    status: models.FacturesConsulterResponse = client.factures.consulter(invoice_id)
    code: InvoiceStatusCode = status.status.code
    seen.append(code.value)
    supplier_page = client.factures.rechercher_fournisseur(
        invoice_number="F-TYPED-1", status=["DEPOSEE", "MISE_A_DISPOSITION"], page_size=10
    )
    supplier_items: tuple[models.SupplierInvoice, ...] = supplier_page.invoices
    seen += [str(item.invoice_id) for item in supplier_items]
    recipient_page = client.factures.rechercher_destinataire(
        invoice_date_from=date(2025, 1, 1), sort_direction="Descendant"
    )
    recipient_items: tuple[models.RecipientInvoice, ...] = recipient_page.invoices
    seen.append(str(len(recipient_items)))
    client.factures.traiter_facture_recue(
        invoice_id, "SUSPENDUE", reason="Bon de commande manquant"
    )
    client.factures.completer(
        invoice_id,
        comment="Bon de commande joint",
        attachments=purchase_order(attachment_id),
    )
    client.factures.traiter_facture_recue(invoice_id, models.TargetStatus.A_RECYCLER)
    client.factures.recycler(invoice_id, service_code=service_code)
    download = client.factures.telecharger_groupe(
        [invoice_id], file_format="ZIP", include_attachments=True
    )
    seen += download.zip_members()
    # valideur: 14-16
    validator_page = client.valideur.rechercher(
        validator_structure_id=VALIDATOR_STRUCTURE_ID, status="A_VALIDER_1"
    )
    validator_items: tuple[models.ValidatorInvoice, ...] = validator_page.invoices
    seen.append(str(len(validator_items)))
    detail = client.valideur.consulter(seeded_for_validation, language_code="FR")
    seen.append(detail.invoice.invoice_number or "")
    decided = client.valideur.traiter(seeded_for_validation, "VALIDATION", comment="OK")
    seen.append("validated" if decided.invoice_id == seeded_for_validation else "")
    return seen


def every_page(client: ChorusClient) -> int:
    """The pagination helpers: every item of every page, typed."""
    count = 0
    for supplier_item in client.factures.iter_fournisseur(page_size=50):
        count += supplier_item.invoice_id is not None
    for recipient_page in client.factures.pages_destinataire(page_size=50):
        count += len(recipient_page.invoices)
    for validator_item in client.valideur.iter_rechercher(page_size=50):
        count += validator_item.invoice_id is not None
    for validator_page in client.valideur.pages_rechercher(status="A_VALIDER_1"):
        count += len(validator_page.invoices)
    return count


def poll_until_final(client: ChorusClient, invoice_ids: list[int]) -> int:
    """The blocking poller: an iterator and a context manager with a summary."""
    finals = 0
    with client.factures.poll(invoice_ids, interval=0.01, max_interval=0.05) as poller:
        for event in poller:
            if isinstance(event, models.FinalStatus):
                finals += 1
            elif isinstance(event, models.StatusChanged) and event.current == "SUSPENDUE":
                client.factures.completer(event.invoice_id, comment="BC joint")
    summary_final: int = sum(poller.summary.final.values())
    return finals if summary_final == finals else -1


def many(client: ChorusClient, invoice_ids: list[int]) -> list[str]:
    results = client.factures.consulter_many(invoice_ids, concurrency=4)
    return [r.response.status.code.value for r in results if r.response is not None]

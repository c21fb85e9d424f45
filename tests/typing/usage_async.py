"""Typed usage of the async client: all 16 endpoints, pagination and the poller.

Checked by mypy --strict and pyright (strict) in test_static_types.py, and run against
the sandbox there too, so it stays true.
"""

from __future__ import annotations

from datetime import date

from usage_common import PDF, RECIPIENT_SIRET, VALIDATOR_STRUCTURE_ID, purchase_order, typed_invoice

from factpulse_chorus import AsyncChorusClient, InvoicePoller, InvoiceStatusCode, models


async def every_endpoint(client: AsyncChorusClient, seeded_for_validation: int) -> list[str]:
    """Call the 16 endpoints once each; return what was seen, for the caller to check."""
    seen: list[str] = []
    # structures: 1-4
    found = await client.structures.rechercher(
        structure_identifier=RECIPIENT_SIRET, structure_identifier_type="SIRET"
    )
    seen += [s.structure_name for s in found.structures]
    siret = await client.structures.obtenir_id_depuis_siret(RECIPIENT_SIRET)
    structure_id: int = siret.structure_id
    details = await client.structures.consulter(structure_id, language_code="fr")
    needs_service = details.parameters is not None and details.parameters.service_code_required
    services = await client.structures.lister_services(structure_id)
    service_code = next(s.service_code for s in services.services if s.is_active)
    # transverses: 13
    upload = await client.transverses.ajouter_fichier(PDF, name="F-TYPED-1.pdf")
    attachment_id: int = upload.attachment_id
    # factures: 5-12
    submitted = await client.factures.soumettre(
        **typed_invoice(structure_id, service_code if needs_service else None, attachment_id)
    )
    invoice_id: int = submitted.invoice_id
    status: models.FacturesConsulterResponse = await client.factures.consulter(invoice_id)
    code: InvoiceStatusCode = status.status.code
    seen.append(code.value)
    supplier_page = await client.factures.rechercher_fournisseur(
        invoice_number="F-TYPED-1", status=["DEPOSEE", "MISE_A_DISPOSITION"], page_size=10
    )
    supplier_items: tuple[models.SupplierInvoice, ...] = supplier_page.invoices
    seen += [str(item.invoice_id) for item in supplier_items]
    recipient_page = await client.factures.rechercher_destinataire(
        invoice_date_from=date(2025, 1, 1), sort_direction="Descendant"
    )
    recipient_items: tuple[models.RecipientInvoice, ...] = recipient_page.invoices
    seen.append(str(len(recipient_items)))
    await client.factures.traiter_facture_recue(
        invoice_id, "SUSPENDUE", reason="Bon de commande manquant"
    )
    await client.factures.completer(
        invoice_id,
        comment="Bon de commande joint",
        attachments=purchase_order(attachment_id),
    )
    await client.factures.traiter_facture_recue(invoice_id, models.TargetStatus.A_RECYCLER)
    await client.factures.recycler(invoice_id, service_code=service_code)
    download = await client.factures.telecharger_groupe(
        [invoice_id], file_format="ZIP", include_attachments=True
    )
    seen += download.zip_members()
    # valideur: 14-16
    validator_page = await client.valideur.rechercher(
        validator_structure_id=VALIDATOR_STRUCTURE_ID, status="A_VALIDER_1"
    )
    validator_items: tuple[models.ValidatorInvoice, ...] = validator_page.invoices
    seen.append(str(len(validator_items)))
    detail = await client.valideur.consulter(seeded_for_validation, language_code="FR")
    seen.append(detail.invoice.invoice_number or "")
    decided = await client.valideur.traiter(seeded_for_validation, "VALIDATION", comment="OK")
    seen.append("validated" if decided.invoice_id == seeded_for_validation else "")
    return seen


async def every_page(client: AsyncChorusClient) -> int:
    """The pagination helpers: every item of every page, typed."""
    count = 0
    async for supplier_item in client.factures.iter_fournisseur(page_size=50):
        count += supplier_item.invoice_id is not None
    async for recipient_page in client.factures.pages_destinataire(page_size=50):
        count += len(recipient_page.invoices)
    async for validator_item in client.valideur.iter_rechercher(page_size=50):
        count += validator_item.invoice_id is not None
    async for validator_page in client.valideur.pages_rechercher(status="A_VALIDER_1"):
        count += len(validator_page.invoices)
    return count


async def poll_until_final(client: AsyncChorusClient, invoice_ids: list[int]) -> int:
    """The poller, as the method returns it and as a class of its own."""
    finals = 0
    async with client.factures.poll(invoice_ids, interval=0.01, max_interval=0.05) as poller:
        async for event in poller:
            if isinstance(event, models.FinalStatus):
                finals += 1
            elif isinstance(event, models.StatusChanged) and event.current == "SUSPENDUE":
                await client.factures.completer(event.invoice_id, comment="BC joint")
    summary_final: int = sum(poller.summary.final.values())
    direct = InvoicePoller(client.factures.consulter, invoice_ids, interval=0.01)
    async with direct:
        async for _event in direct:
            pass
    return finals + summary_final - sum(direct.summary.final.values())


async def many(client: AsyncChorusClient, invoice_ids: list[int]) -> list[str]:
    results = await client.factures.consulter_many(invoice_ids, concurrency=4)
    return [r.response.status.code.value for r in results if r.response is not None]

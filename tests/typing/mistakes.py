"""Mistakes a type checker must report: each line ending in ``# error`` carries one.

Never run; test_static_types.py checks that mypy --strict and pyright report every line.
"""

from __future__ import annotations

from factpulse_chorus import AsyncChorusClient, ChorusClient


async def typos(client: AsyncChorusClient) -> None:
    await client.factures.traiter_facture_recue(1, "SUSPENDU")  # error
    await client.factures.telecharger_groupe([1], file_format="RAR")  # error
    await client.valideur.traiter(1, "VALIDER")  # error
    await client.factures.rechercher_fournisseur(status="EN_COURS")  # error
    await client.factures.rechercher_fournisseur(statut_courant="DEPOSEE")  # error
    await client.factures.rechercher_fournisseur(sort_direction="ascending")  # error
    await client.structures.consulter(1, language_code="de")  # error
    await client.factures.consulter(chorus_invoice_id=1)  # error
    invoice = await client.factures.consulter(1)
    invoice.status.code.is_final()  # error


def blocking_typos(client: ChorusClient) -> None:
    client.factures.traiter_facture_recue(1, new_status="PAYEE")  # error
    client.valideur.rechercher(status="A_VALIDER")  # error
    for _page in client.factures.pages_fournisseur(page=2):  # error
        pass

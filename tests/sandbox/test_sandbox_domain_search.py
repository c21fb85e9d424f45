"""The sandbox domain's searches: visibility, filters, sorting and pagination."""

from __future__ import annotations

import math
from typing import Any

import sandbox_domain_support as support

from factpulse_chorus.sandbox._directory import CH_EXEMPLEVILLE_ID, SAINT_EXEMPLE_ID, VALIDATOR_ID
from factpulse_chorus.sandbox._domain import Domain

# == searches ================================================================================


def test_search_visibility(domain: Domain) -> None:
    own = support.submit(domain)
    other = support.submit(domain, login=support.VALIDATOR_LOGIN)
    assert {i["identifiantFactureCPP"] for i in support.supplier_listing(domain)} == {own, other}
    mine = support.supplier_listing(domain, login=support.SUPPLIER_LOGIN)
    assert [i["identifiantFactureCPP"] for i in mine] == [own]
    # Not yet routed: invisible to the recipient.
    assert domain.factures_rechercher_destinataire(support.RECIPIENT_LOGIN, {})["total"] == 0
    domain.clock.advance(support.ROUTED)
    received = domain.factures_rechercher_destinataire(support.RECIPIENT_LOGIN, {})
    assert {i["idFacture"] for i in received["listeFactures"]} == {own, other}
    assert domain.factures_rechercher_destinataire(support.CH_LOGIN, {})["total"] == 0


def test_rechercher_destinataire_example_and_download_flag(domain: Domain) -> None:
    invoice_id = support.delivered(domain)
    request = support.example("factures-rechercher-destinataire.request")
    reply = domain.factures_rechercher_destinataire(support.RECIPIENT_LOGIN, request)
    expected = support.example("factures-rechercher-destinataire.response")
    assert set(reply) == set(expected)
    assert "parametresRetour" not in reply
    assert {k: reply[k] for k in ("pageCourante", "pages", "nbResultatsParPage", "total")} == {
        "pageCourante": 1,
        "pages": 1,
        "nbResultatsParPage": 10,
        "total": 1,
    }
    (item,) = reply["listeFactures"]
    assert set(expected["listeFactures"][0]) <= set(item) | {"dateHeureEtatCourant"}
    assert isinstance(item["montantTTC"], float)
    assert item["montantTTC"] == 1250.5
    download = {"listeIdentifiantsFactureCPP": [invoice_id], "formatFichier": "XML"}
    assert domain.factures_telecharger_groupe(support.SUPPLIER_LOGIN, download)["codeRetour"] == 0
    assert domain.factures_rechercher_destinataire(support.RECIPIENT_LOGIN, request)["total"] == 1
    assert domain.factures_telecharger_groupe(support.RECIPIENT_LOGIN, download)["codeRetour"] == 0
    assert domain.factures_rechercher_destinataire(support.RECIPIENT_LOGIN, request)["total"] == 0
    request["factureTelechargeeParDestinataire"] = True
    again = domain.factures_rechercher_destinataire(support.RECIPIENT_LOGIN, request)
    assert again["listeFactures"][0]["factureTelechargeeParDestinataire"] is True


def test_rechercher_fournisseur_example(domain: Domain) -> None:
    invoice_id = support.delivered(domain)
    reply = domain.factures_rechercher_fournisseur(
        "omni", support.example("factures-rechercher-fournisseur.request")
    )
    expected = support.example("factures-rechercher-fournisseur.response")
    assert set(reply) == set(expected)
    assert reply["parametresRetour"] == {
        "pageCourante": 1,
        "pages": 1,
        "nbResultatsParPage": 20,
        "total": 1,
    }
    (item,) = reply["listeFactures"]
    assert item["identifiantFactureCPP"] == invoice_id
    assert set(expected["listeFactures"][0]) <= set(item)
    for key in ("montantHT", "montantTTC", "codeServiceExecutant", "idServiceExecutant"):
        assert item[key] == expected["listeFactures"][0][key]


def test_search_filters(domain: Domain) -> None:
    cheap = support.submit(
        domain,
        invoiceDate="2025-03-01",
        totalNetAmount="100.00",
        vatAmount="20.00",
        totalGrossAmount="120.00",
    )
    dear = support.submit(domain, invoiceDate="2025-03-05", serviceCode="TECH-002")
    ch = support.submit(
        domain,
        structureId=CH_EXEMPLEVILLE_ID,
        serviceCode="SERV-ACHATS",
        engagementNumber="EJ1",
        invoiceDate="2025-03-09",
    )

    def ids(**body: Any) -> set[int]:
        return {i["identifiantFactureCPP"] for i in support.supplier_listing(domain, **body)}

    numbers = {i["identifiantFactureCPP"]: i for i in support.supplier_listing(domain)}
    assert ids(numeroFacture=numbers[dear]["numeroFacture"]) == {dear}
    assert ids(numeroFluxDepot=numbers[ch]["numeroFluxDepot"]) == {ch}
    assert ids(periodeDateFactureDu="2025-03-01", periodeDateFactureAu="2025-03-05") == {
        cheap,
        dear,
    }
    assert ids(periodeDateFactureDu="2025-03-05") == {dear, ch}
    assert ids(periodeDateDepotDu="2025-03-10", periodeDateDepotAu="2025-03-10") == {
        cheap,
        dear,
        ch,
    }
    assert ids(periodeDateDepotAu="2025-03-09") == set()
    assert ids(montantTTCMax=120) == {cheap}
    assert ids(montantHTMin="100.01") == {dear, ch}
    assert ids(montantApayerMin=1250.5, montantApayerMax="1250.50") == {dear, ch}
    assert ids(listeDestinataire=[{"idDestinataire": SAINT_EXEMPLE_ID}]) == {cheap, dear}
    assert ids(
        listeDestinataire=[
            {"idDestinataire": SAINT_EXEMPLE_ID, "listeIdServiceExecutant": [10458733]}
        ]
    ) == {dear}
    assert ids(statutCourant=["DEPOSEE"], unknownFilter={"x": 1}) == {cheap, dear, ch}
    assert ids(statutCourant=["MISE_A_DISPOSITION"]) == set()
    assert ids(typeFacture="AVOIR") == set()
    assert ids(idStructureValideur=VALIDATOR_ID) == set()
    assert ids(periodeDateHeureEtatCourantDu="2025-03-10T08:59:00+01:00") == {cheap, dear, ch}
    assert ids(periodeDateHeureEtatCourantAu="2025-03-10T08:59:00Z") == {cheap, dear, ch}
    assert ids(periodeDateHeureEtatCourantAu="2025-03-09") == set()
    bad = domain.factures_rechercher_fournisseur("omni", {"periodeDateDepotDu": "hier"})
    assert support.is_error(bad)
    validator_side = domain.seed_invoice(total_net_amount="10.00", vat_amount="2.00")
    found = domain.valideur_rechercher("omni", {"montantAPayerMax": 12})
    assert [i["idFacture"] for i in found["listeFactures"]] == [validator_side]
    # Supplier/recipient casing means nothing to the validator search: ignored.
    ignored = domain.valideur_rechercher("omni", {"montantApayerMin": 1000})
    assert ignored["parametresRetour"]["total"] == 1


SORTS = [
    ("dateDepot", "Descendant"),
    ("dateFacture", "Ascendant"),
    ("numeroFacture", "Descendant"),
    ("montantTTC", "Ascendant"),
    ("montantHT", "Descendant"),
    ("Statut", "Ascendant"),
    ("codeServiceExecutant", "Descendant"),
    ("noSuchColumn", "Ascendant "),
]


def test_pagination_consistency() -> None:
    domain = support.make_domain(routing_delay=(0.0, 600.0))
    for index in range(37):
        amount = f"{100 + (index * 37) % 11}.00"
        support.submit(
            domain,
            invoiceDate=f"2025-03-{1 + index % 9:02d}",
            totalNetAmount=amount,
            vatAmount="0.00",
            totalGrossAmount=amount,
            serviceCode="FIN-001" if index % 3 else "TECH-002",
        )
        domain.clock.advance(7 * (index % 4))
    domain.clock.advance(300)
    everything = support.supplier_listing(domain)
    assert len(everything) == 37
    all_ids = {i["identifiantFactureCPP"] for i in everything}
    for column, direction in SORTS:
        for size in (1, 5, 10, 36, 37, 200):
            full = domain.factures_rechercher_fournisseur(
                "omni",
                {
                    "rechercheFactureParFournisseur": {
                        "nbResultatsParPage": 200,
                        "triColonne": column,
                        "triSens": direction,
                    }
                },
            )
            seen: list[int] = []
            pages = math.ceil(37 / size)
            for page in range(1, pages + 2):
                reply = domain.factures_rechercher_fournisseur(
                    "omni",
                    {
                        "rechercheFactureParFournisseur": {
                            "pageResultatDemandee": page,
                            "nbResultatsParPage": size,
                            "triColonne": column,
                            "triSens": direction,
                        }
                    },
                )
                assert reply["parametresRetour"] == {
                    "pageCourante": page,
                    "pages": pages,
                    "nbResultatsParPage": size,
                    "total": 37,
                }
                if page > pages:
                    assert reply["listeFactures"] == []
                seen += [i["identifiantFactureCPP"] for i in reply["listeFactures"]]
            assert len(seen) == len(set(seen)) == 37
            assert set(seen) == all_ids
            assert seen == [i["identifiantFactureCPP"] for i in full["listeFactures"]]
    ascending = domain.factures_rechercher_fournisseur(
        "omni",
        {
            "rechercheFactureParFournisseur": {
                "nbResultatsParPage": 50,
                "triColonne": "montantTTC",
                "triSens": "Ascendant",
            }
        },
    )["listeFactures"]
    amounts = [i["montantTTC"] for i in ascending]
    assert amounts == sorted(amounts)
    default = domain.factures_rechercher_fournisseur("omni", {})
    assert default["parametresRetour"]["nbResultatsParPage"] == 10
    assert len(default["listeFactures"]) == 10
    explicit = domain.factures_rechercher_fournisseur(
        "omni",
        {"rechercheFactureParFournisseur": {"triColonne": "dateDepot", "triSens": "Descendant"}},
    )
    assert default["listeFactures"] == explicit["listeFactures"]
    newest_first = [i["identifiantFactureCPP"] for i in default["listeFactures"]]
    assert newest_first == sorted(all_ids, reverse=True)[:10]  # ids grow with deposit time
    capped = domain.factures_rechercher_fournisseur(
        "omni", {"rechercheFactureParFournisseur": {"nbResultatsParPage": 500}}
    )
    assert capped["parametresRetour"]["nbResultatsParPage"] == 200


def test_pagination_empty() -> None:
    domain = support.make_domain()
    reply = domain.factures_rechercher_destinataire(
        "omni", {"paramRecherche": {"pageResultatDemandee": 3, "nbResultatsParPage": 25}}
    )
    assert reply == {
        "codeRetour": 0,
        "libelle": "GDP_MSG_00.000",
        "listeFactures": [],
        "pageCourante": 3,
        "pages": 0,
        "nbResultatsParPage": 25,
        "total": 0,
    }
    assert domain.valideur_rechercher("omni", {"pagination": {}})["parametresRetour"] == {
        "pageCourante": 1,
        "pages": 0,
        "nbResultatsParPage": 10,
        "total": 0,
    }

"""The bodies' schemas the sandbox checks (``_schema`` is the checker): the five typed
bodies, the untyped bodies checked in strict mode, the credentials and the token request."""

from __future__ import annotations

from dataclasses import replace
from typing import Final

from ._schema import (
    AMOUNT,
    BOOL,
    CREDENTIAL_STRINGS,
    DICT,
    INT,
    LIST,
    MODEL,
    NUMBER,
    STR,
    Field,
    Model,
)

__all__ = ["CREDENTIALS", "TOKEN_REQUEST", "TYPED_MODELS", "UNTYPED_MODELS"]


_S = Field(STR)
_S_NULL = Field(STR, nullable=True)
_S_REQ = Field(STR, required=True)
_I = Field(INT)
_I_REQ = Field(INT, required=True)
_B = Field(BOOL)
_N = Field(NUMBER)
_D = Field(DICT)
_STR_LIST = Field(LIST, item=_S)
_INT_LIST = Field(LIST, item=_I)

CREDENTIALS: Final = Model(
    "ChorusProCredentials",
    {
        **dict.fromkeys(CREDENTIAL_STRINGS, _S_REQ),
        "sandbox": Field(BOOL, default=True),
    },
)
_CREDENTIALS_FIELD = Field(MODEL, nullable=True, model=CREDENTIALS)
_AMOUNT_REQ = Field(AMOUNT, required=True)

# Typed bodies (FP). ``credentials`` comes last: the server's 422 lists it after the
# invoice fields (examples/error-422.response.json).
TYPED_MODELS: Final[dict[str, Model]] = {
    "structures/rechercher": Model(
        "SearchStructureRequest",
        {
            "structureIdentifier": _S_NULL,
            "structureIdentifierType": _S_NULL,
            "companyName": _S_NULL,
            "restrictPrivateStructures": Field(BOOL, default=False),
            "credentials": _CREDENTIALS_FIELD,
        },
    ),
    "structures/consulter": Model(
        "GetStructureRequest",
        {
            "structureId": _I_REQ,
            "languageCode": Field(STR, default="fr"),
            "credentials": _CREDENTIALS_FIELD,
        },
    ),
    "structures/obtenir-id-depuis-siret": Model(
        "GetChorusProIdRequest",
        {
            "siret": _S_REQ,
            "identifierType": Field(STR, default="SIRET"),
            "credentials": _CREDENTIALS_FIELD,
        },
    ),
    "factures/soumettre": Model(
        "SubmitInvoiceRequest",
        {
            "invoiceNumber": _S_REQ,
            "invoiceDate": _S_REQ,
            "paymentDueDate": _S_NULL,
            "structureId": _I_REQ,
            "serviceCode": _S_NULL,
            "engagementNumber": _S_NULL,
            "totalNetAmount": _AMOUNT_REQ,
            "vatAmount": _AMOUNT_REQ,
            "totalGrossAmount": _AMOUNT_REQ,
            "mainAttachmentId": Field(INT, nullable=True),
            "mainAttachmentLabel": _S_NULL,
            "comment": _S_NULL,
            "purchaseOrderReference": _S_NULL,
            "contractReference": _S_NULL,
            "credentials": _CREDENTIALS_FIELD,
        },
    ),
    "factures/consulter": Model(
        "GetInvoiceRequest",
        {"chorusInvoiceId": _I_REQ, "credentials": _CREDENTIALS_FIELD},
    ),
}

# Untyped bodies: the documented (DOC) and native (NAT) keys of REFERENCE.md §6. Used only
# in strict mode, as FastAPI would check them if the bodies were typed with every key
# optional. Values may be null (an optional field of a generated model).


def _untyped(name: str, fields: dict[str, Field]) -> Model:
    nullable = {key: replace(spec, nullable=True) for key, spec in fields.items()}
    nullable["credentials"] = _CREDENTIALS_FIELD
    nullable["idUtilisateurCourant"] = Field(INT, nullable=True)
    return Model(name, nullable)


def _objects(name: str, fields: dict[str, Field]) -> Field:
    """A list of objects, each validated as the model ``name``."""
    return Field(LIST, item=Field(DICT, model=Model(name, fields)))


_PAGINATION = Field(
    DICT,
    model=Model(
        "Pagination",
        {"pageResultatDemandee": _I, "nbResultatsParPage": _I, "triColonne": _S, "triSens": _S},
    ),
)
_DATE_RANGES = {
    f"periodeDate{what}{end}": _S
    for what in ("Facture", "Depot", "HeureEtatCourant")
    for end in ("Du", "Au")
}


def _amount_ranges(apayer: str) -> dict[str, Field]:
    return {f"montant{what}{end}": _N for what in ("HT", "TTC", apayer) for end in ("Min", "Max")}


UNTYPED_MODELS: Final[dict[str, Model]] = {
    "factures/rechercher-fournisseur": _untyped(
        "RechercherFournisseur",
        {
            "numeroFacture": _S,
            **_DATE_RANGES,
            "statutCourant": _STR_LIST,
            "listeDestinataire": _objects(
                "Destinataire",
                {
                    "idDestinataire": _I,
                    "listeIdServiceExecutant": _INT_LIST,
                    "raisonSocialeStuctDmd": _S,
                },
            ),
            **_amount_ranges("Apayer"),
            "typeFacture": _S,
            "numeroBonCommande": _S,
            "numeroMarche": _S,
            "numeroFactureOrigine": _S,
            "numeroFluxDepot": _S,
            "idFournisseur": _I,
            "idServiceFournisseur": _I,
            "idStructureValideur": _I,
            "modeDepot": _S,
            "rejetTraite": _B,
            "rechercheSirenDestinataire": _B,
            "recupererTaille": _B,
            "idUtilisateurCreateur": _INT_LIST,
            "cadreFacturation": _D,
            "coordonneeBancaire": _I,
            "rechercheFactureParFournisseur": _PAGINATION,
        },
    ),
    "factures/rechercher-destinataire": _untyped(
        "RechercherDestinataire",
        {
            "factureTelechargeeParDestinataire": _B,
            **_DATE_RANGES,
            "statutCourant": _STR_LIST,
            "listeFournisseurs": _objects(
                "Fournisseur", {"idFournisseur": _I, "listeIdService": _INT_LIST}
            ),
            "rechercheSirenFournisseur": _B,
            "idDestinataire": _I,
            "idServiceExecutant": _I,
            "idStructureValideur": _I,
            "cadreFacturation": _S,
            "listeTypeFacture": _STR_LIST,
            "listeTypeFactureTravaux": _STR_LIST,
            "typeDemandePaiement": _S,
            **_amount_ranges("Apayer"),
            "numeroFacture": _S,
            "numeroBonCommande": _S,
            "numeroMarche": _S,
            "recupererTaille": _B,
            "paramRecherche": _PAGINATION,
        },
    ),
    "factures/telecharger-groupe": _untyped(
        "TelechargerGroupe",
        {
            "listeIdentifiantsFactureCPP": _INT_LIST,
            "inclurePiecesJointes": _B,
            "formatFichier": _S,
            "listeFacture": _objects("F", {"idFacture": _I}),
            "format": _S,
            "avecPiecesJointesComplementaires": _S,
        },
    ),
    "factures/traiter-facture-recue": _untyped(
        "TraiterFactureRecue",
        {
            "identifiantFactureCPP": _I,
            "nouveauStatut": _S,
            "motifRejet": _S,
            "commentaire": _S,
            "numeroDPMandat": _S,
            "idFacture": _I,
            "motif": _S,
        },
    ),
    "factures/completer": _untyped(
        "Completer",
        {
            "identifiantFactureCPP": _I,
            "commentaire": _S,
            "listePiecesJointes": _objects(
                "PieceJointe", {"pieceJointeIdFichier": _I, "pieceJointeNom": _S}
            ),
            "pieceJointeComplementaire": _objects(
                "PieceJointeComplementaire",
                {
                    "pieceJointeComplementaireId": _I,
                    "pieceJointeComplementaireDesignation": _S,
                    "pieceJointeComplementaireType": _S,
                    "pieceJointeComplementaireNumeroLigneFacture": _I,
                },
            ),
        },
    ),
    "factures/recycler": _untyped(
        "Recycler",
        {
            "identifiantFactureCPP": _I,
            "idStructureCPP": _I,
            "codeService": _S,
            "numeroEngagement": _S,
            "destinataire": _D,
            "reference": _D,
            "commentaire": _S,
        },
    ),
    "transverses/ajouter-fichier": _untyped(
        "AjouterFichier",
        {
            "pieceJointeFichier": _S,
            "pieceJointeNom": _S,
            "pieceJointeTypeMime": _S,
            "pieceJointeExtension": _S,
        },
    ),
    "factures/valideur/rechercher": _untyped(
        "ValideurRechercher",
        {
            "idStructureValideur": _I,
            "idDestinataire": _I,
            "idServiceExecutant": _I,
            "idFournisseur": _I,
            "idServiceFournisseur": _I,
            "idStructureMoa": _I,
            "idStructureMoe": _I,
            "periodeDateDepotDu": _S,
            "periodeDateDepotAu": _S,
            "periodeDateFactureDu": _S,
            "periodeDateFactureAu": _S,
            "statutCourant": _STR_LIST,
            "numeroFacture": _S,
            "numeroEngagement": _S,
            "numeroMarche": _S,
            "listeTypeFacture": _STR_LIST,
            "listeTypeFactureTravaux": _STR_LIST,
            **_amount_ranges("APayer"),
            "rechercheSirenDestinataire": _B,
            "rechercheSirenFournisseur": _B,
            "typeDemandePaiement": _S,
            "cadreFacturation": _D,
            "pagination": _PAGINATION,
        },
    ),
    "factures/valideur/consulter": _untyped(
        "ValideurConsulter",
        {"idFacture": _I, "codeLangue": _S, "identifiantFactureCPP": _I},
    ),
    "factures/valideur/traiter": _untyped(
        "ValideurTraiter",
        {
            "idFacture": _I,
            "action": _S,
            "motifRefus": _S,
            "complementInfo": _S,
            "idPieceJointe": _I,
            "idValideur": _I,
            "typeValideur": _S,
        },
    ),
}

TOKEN_REQUEST: Final = Model(
    "TokenObtainRequest",
    {"username": _S_REQ, "password": _S_REQ, "client_uid": _S_NULL},
)

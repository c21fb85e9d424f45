"""Typed request and response models, one module per resource group.

``common`` holds what every group shares (credentials, status codes, pagination,
:class:`APIResponse`); ``structures``, ``factures``, ``transverses`` and ``valideur``
hold the request and response classes of their endpoints. Names are imported
lazily: creating ~60 attrs classes costs tens of milliseconds, so a module is
only loaded when one of its names is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_exports

if TYPE_CHECKING:
    from .common import ACTION_STATUSES as ACTION_STATUSES
    from .common import FINAL_STATUSES as FINAL_STATUSES
    from .common import APIResponse as APIResponse
    from .common import ChorusProCredentials as ChorusProCredentials
    from .common import FileFormat as FileFormat
    from .common import InvoiceStatusCode as InvoiceStatusCode
    from .common import LanguageCode as LanguageCode
    from .common import NativeResponse as NativeResponse
    from .common import PageInfo as PageInfo
    from .common import RawResponse as RawResponse
    from .common import SearchPagination as SearchPagination
    from .common import SortDirection as SortDirection
    from .common import StructureStatus as StructureStatus
    from .common import TargetStatus as TargetStatus
    from .common import TypedResponse as TypedResponse
    from .common import ValidatorAction as ValidatorAction
    from .factures import AdditionalAttachment as AdditionalAttachment
    from .factures import ContentKind as ContentKind
    from .factures import FacturesCompleterRequest as FacturesCompleterRequest
    from .factures import FacturesCompleterResponse as FacturesCompleterResponse
    from .factures import FacturesConsulterManyResult as FacturesConsulterManyResult
    from .factures import FacturesConsulterRequest as FacturesConsulterRequest
    from .factures import FacturesConsulterResponse as FacturesConsulterResponse
    from .factures import FacturesDeposerResult as FacturesDeposerResult
    from .factures import (
        FacturesRechercherDestinataireFilters as FacturesRechercherDestinataireFilters,
    )
    from .factures import (
        FacturesRechercherDestinataireRequest as FacturesRechercherDestinataireRequest,
    )
    from .factures import (
        FacturesRechercherDestinataireResponse as FacturesRechercherDestinataireResponse,
    )
    from .factures import (
        FacturesRechercherFournisseurFilters as FacturesRechercherFournisseurFilters,
    )
    from .factures import (
        FacturesRechercherFournisseurRequest as FacturesRechercherFournisseurRequest,
    )
    from .factures import (
        FacturesRechercherFournisseurResponse as FacturesRechercherFournisseurResponse,
    )
    from .factures import FacturesRecyclerRequest as FacturesRecyclerRequest
    from .factures import FacturesRecyclerResponse as FacturesRecyclerResponse
    from .factures import FacturesSoumettreRequest as FacturesSoumettreRequest
    from .factures import FacturesSoumettreResponse as FacturesSoumettreResponse
    from .factures import FacturesTelechargerGroupeRequest as FacturesTelechargerGroupeRequest
    from .factures import FacturesTelechargerGroupeResponse as FacturesTelechargerGroupeResponse
    from .factures import FacturesTraiterFactureRecueRequest as FacturesTraiterFactureRecueRequest
    from .factures import FacturesTraiterFactureRecueResponse as FacturesTraiterFactureRecueResponse
    from .factures import FinalStatus as FinalStatus
    from .factures import InvoiceStatus as InvoiceStatus
    from .factures import PollError as PollError
    from .factures import PollEvent as PollEvent
    from .factures import PollFinished as PollFinished
    from .factures import PollSummary as PollSummary
    from .factures import RecipientFilter as RecipientFilter
    from .factures import RecipientInvoice as RecipientInvoice
    from .factures import StatusChanged as StatusChanged
    from .factures import SupplierFilter as SupplierFilter
    from .factures import SupplierInvoice as SupplierInvoice
    from .structures import StructureInfo as StructureInfo
    from .structures import StructureParameters as StructureParameters
    from .structures import StructuresConsulterRequest as StructuresConsulterRequest
    from .structures import StructuresConsulterResponse as StructuresConsulterResponse
    from .structures import StructureService as StructureService
    from .structures import StructuresListerServicesRequest as StructuresListerServicesRequest
    from .structures import StructuresListerServicesResponse as StructuresListerServicesResponse
    from .structures import (
        StructuresObtenirIdDepuisSiretRequest as StructuresObtenirIdDepuisSiretRequest,
    )
    from .structures import (
        StructuresObtenirIdDepuisSiretResponse as StructuresObtenirIdDepuisSiretResponse,
    )
    from .structures import StructuresRechercherRequest as StructuresRechercherRequest
    from .structures import StructuresRechercherResponse as StructuresRechercherResponse
    from .transverses import TransversesAjouterFichierRequest as TransversesAjouterFichierRequest
    from .transverses import TransversesAjouterFichierResponse as TransversesAjouterFichierResponse
    from .valideur import AttachmentList as AttachmentList
    from .valideur import BillingFramework as BillingFramework
    from .valideur import Factor as Factor
    from .valideur import InvoiceAttachment as InvoiceAttachment
    from .valideur import InvoiceDetail as InvoiceDetail
    from .valideur import InvoiceRecipient as InvoiceRecipient
    from .valideur import InvoiceReferences as InvoiceReferences
    from .valideur import InvoiceSupplier as InvoiceSupplier
    from .valideur import InvoiceTotals as InvoiceTotals
    from .valideur import LineItem as LineItem
    from .valideur import LineItemList as LineItemList
    from .valideur import MainAttachment as MainAttachment
    from .valideur import ValidatorInvoice as ValidatorInvoice
    from .valideur import ValideurConsulterRequest as ValideurConsulterRequest
    from .valideur import ValideurConsulterResponse as ValideurConsulterResponse
    from .valideur import ValideurRechercherFilters as ValideurRechercherFilters
    from .valideur import ValideurRechercherRequest as ValideurRechercherRequest
    from .valideur import ValideurRechercherResponse as ValideurRechercherResponse
    from .valideur import ValideurTraiterRequest as ValideurTraiterRequest
    from .valideur import ValideurTraiterResponse as ValideurTraiterResponse
    from .valideur import VatLine as VatLine
    from .valideur import VatSummary as VatSummary

# The public names, each written once here: module -> names. __all__ and the lazy
# look-up are derived from it; the imports above repeat it for type checkers, and
# tests/client/test_exports.py checks that the two agree.
_EXPORTS: dict[str, tuple[str, ...]] = {
    ".common": (
        "ACTION_STATUSES",
        "FINAL_STATUSES",
        "APIResponse",
        "ChorusProCredentials",
        "FileFormat",
        "InvoiceStatusCode",
        "LanguageCode",
        "NativeResponse",
        "PageInfo",
        "RawResponse",
        "SearchPagination",
        "SortDirection",
        "StructureStatus",
        "TargetStatus",
        "TypedResponse",
        "ValidatorAction",
    ),
    ".factures": (
        "AdditionalAttachment",
        "ContentKind",
        "FacturesCompleterRequest",
        "FacturesCompleterResponse",
        "FacturesConsulterManyResult",
        "FacturesConsulterRequest",
        "FacturesConsulterResponse",
        "FacturesDeposerResult",
        "FacturesRechercherDestinataireFilters",
        "FacturesRechercherDestinataireRequest",
        "FacturesRechercherDestinataireResponse",
        "FacturesRechercherFournisseurFilters",
        "FacturesRechercherFournisseurRequest",
        "FacturesRechercherFournisseurResponse",
        "FacturesRecyclerRequest",
        "FacturesRecyclerResponse",
        "FacturesSoumettreRequest",
        "FacturesSoumettreResponse",
        "FacturesTelechargerGroupeRequest",
        "FacturesTelechargerGroupeResponse",
        "FacturesTraiterFactureRecueRequest",
        "FacturesTraiterFactureRecueResponse",
        "FinalStatus",
        "InvoiceStatus",
        "PollError",
        "PollEvent",
        "PollFinished",
        "PollSummary",
        "RecipientFilter",
        "RecipientInvoice",
        "StatusChanged",
        "SupplierFilter",
        "SupplierInvoice",
    ),
    ".structures": (
        "StructureInfo",
        "StructureParameters",
        "StructureService",
        "StructuresConsulterRequest",
        "StructuresConsulterResponse",
        "StructuresListerServicesRequest",
        "StructuresListerServicesResponse",
        "StructuresObtenirIdDepuisSiretRequest",
        "StructuresObtenirIdDepuisSiretResponse",
        "StructuresRechercherRequest",
        "StructuresRechercherResponse",
    ),
    ".transverses": (
        "TransversesAjouterFichierRequest",
        "TransversesAjouterFichierResponse",
    ),
    ".valideur": (
        "AttachmentList",
        "BillingFramework",
        "Factor",
        "InvoiceAttachment",
        "InvoiceDetail",
        "InvoiceRecipient",
        "InvoiceReferences",
        "InvoiceSupplier",
        "InvoiceTotals",
        "LineItem",
        "LineItemList",
        "MainAttachment",
        "ValidatorInvoice",
        "ValideurConsulterRequest",
        "ValideurConsulterResponse",
        "ValideurRechercherFilters",
        "ValideurRechercherRequest",
        "ValideurRechercherResponse",
        "ValideurTraiterRequest",
        "ValideurTraiterResponse",
        "VatLine",
        "VatSummary",
    ),
}
_LAZY, __getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = sorted(_LAZY)

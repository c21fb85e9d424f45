"""The public surface follows the naming rule: one English name per concept.

Methods keep the API's (French) path segments; everything else a user types or reads
(parameters, model classes, model fields) is English snake_case / CamelCase made of the
words below, the object a method acts on comes first, and the request model a method
builds uses the method's own parameter names.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator

import attrs
import pytest

import factpulse_chorus
from factpulse_chorus import models
from factpulse_chorus.resources.factures import AsyncFactures
from factpulse_chorus.resources.structures import AsyncStructures
from factpulse_chorus.resources.transverses import AsyncTransverses
from factpulse_chorus.resources.valideur import AsyncValideur

GROUPS: dict[str, type] = {
    "structures": AsyncStructures,
    "factures": AsyncFactures,
    "transverses": AsyncTransverses,
    "valideur": AsyncValideur,
}

#: Every word a public parameter, field or class name may be made of. A new English word
#: is added here; a French word or an abbreviation has no place (see the README glossary).
ENGLISH = frozenset(
    """
    a account action active address additional after all amount amounts and api at attachment
    attachments attempt backoff bank before bic billing branch by cancelled changed city
    client code column comment company complement concurrency content country created
    creator credentials currency current date deadline decimal description dest details
    detail direction discount document downloaded due email end engagement error errors
    events exemption extension extra factor file filter filters final first flow for format
    framework from gave gross id identifier ids iban in include info invoice invoices is
    item items jitter kind label language last line lines list main management manager
    max message method mime mode name net next number of on only order original owner page
    pages payment pending percent postal previous price private processed processing
    project purchase quantity rate rated reason recipient recipients record reference
    references rejection request requests required response restrict result retries retry
    return rib safe search service services siren siret size sort status statuses
    structure structures submission summary supplier suppliers tax timeout to total totals
    type types unit up url user validation validator value vat works count elapsed limited
    sandbox piste secret login password chorus pro interval clock sleep received via
    identifiers multiple location key raw use paid requested parameters new contract
    deposit headers base creation global link mandate manual min pagination pdf state
    taxable trade register failed finished poll poller target typed native or json connect
    read bad not found authentication business closed context decode denied entity
    permission unprocessable outcome unknown server sync async limit given fact pulse
    blocking connection archive too large write unparsed settle lookups resends policy delay
    operation idempotent
    store lease watch watcher run intervals default
    check checks tracked seen sent reserved uncertain absent attempts history duplicate until
    budget per second day burst
    updated sqlite postgres seed patience
    """.split()  # noqa: SIM905 - a word list reads better as text
)

#: Concepts that must keep one spelling: a name on the right is the old or a tempting
#: second spelling of the one on the left.
ONE_SPELLING = {
    "invoice_id": ("chorus_invoice_id", "facture_id", "id_invoice"),
    "attachment_id": ("main_attachment_id", "file_id", "id_attachment", "piece_jointe_id"),
    "structure_id": ("id_structure", "structure_cpp_id"),
    "service_code": ("code_service",),
    "engagement_number": ("numero_engagement", "engagement_id"),
    "language_code": ("code_langue", "lang", "language"),
    "comment": ("commentary", "remark", "complement_info"),
    "reason": ("motive", "rejection_reason", "refusal_reason"),
    "file_format": ("format_fichier", "format"),
    "include_attachments": ("with_attachments", "attachments_included"),
    "invoice_number": ("number_invoice", "invoice_no"),
}
_SECOND_SPELLINGS = {alt: main for main, alts in ONE_SPELLING.items() for alt in alts}

#: Options every method takes and helper-only parameters (not request fields).
OPTIONS = frozenset({"credentials", "timeout", "max_retries", "extra_headers", "extra"})
HELPER_PARAMETERS = frozenset(
    {"file", "safe_retry", "dest", "concurrency", "pdf", "recipient_siret", "page", "store"}
)

#: The object each method acts on, which must be its first parameter: concept -> "group.method"s.
FIRST_PARAMETER = {
    tuple(method.split(".")): parameter
    for parameter, methods in {
        "structure_id": "structures.consulter structures.lister_services",
        "siret": "structures.obtenir_id_depuis_siret",
        "invoice_id": "factures.consulter factures.traiter_facture_recue factures.completer "
        "factures.recycler valideur.consulter valideur.traiter",
        "invoice_ids": "factures.consulter_many factures.poll factures.telecharger_groupe",
        "file": "transverses.ajouter_fichier",
    }.items()
    for method in methods.split()
}


def words(name: str) -> list[str]:
    """snake_case or CamelCase -> lower-case words, digits dropped."""
    # The names of the two database engines are proper nouns, read as one word each.
    name = name.replace("SQLite", "Sqlite")
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name)
    return [w for w in re.split(r"[_\d]+", spaced.lower()) if w]


def public_methods(cls: type) -> Iterator[tuple[str, inspect.Signature]]:
    for name in dir(cls):
        member = getattr(cls, name)
        if not name.startswith("_") and callable(member):
            yield name, inspect.signature(member)


def camel(method: str) -> str:
    return "".join(part.capitalize() for part in method.split("_"))


def public_model_classes() -> Iterator[type]:
    seen: set[type] = set()
    for module in (models, factpulse_chorus):
        for name in module.__all__:
            value = getattr(module, name)
            if isinstance(value, type) and value not in seen:
                seen.add(value)
                yield value


def english_words(name: str) -> list[str]:
    return [w for w in words(name) if w not in ENGLISH]


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_parameters_are_english_and_spelled_once(group: str) -> None:
    problems = []
    for method, signature in public_methods(GROUPS[group]):
        for parameter in signature.parameters.values():
            name = parameter.name
            if name in ("self", "filters"):
                continue
            if bad := english_words(name):
                problems.append(f"{group}.{method}({name}): not English: {bad}")
            if name in _SECOND_SPELLINGS:
                problems.append(f"{group}.{method}({name}): spell it {_SECOND_SPELLINGS[name]}")
    assert problems == []


def test_the_object_a_method_acts_on_comes_first_and_positional() -> None:
    for (group, method), expected in FIRST_PARAMETER.items():
        parameters = list(inspect.signature(getattr(GROUPS[group], method)).parameters.values())
        first = parameters[1]
        assert first.name == expected, f"{group}.{method}"
        assert first.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD, f"{group}.{method}"


def _search_filters(signature: inspect.Signature) -> set[str]:
    """The names a ``**filters: Unpack[TypedDict]`` parameter accepts."""
    if "filters" not in signature.parameters:
        return set()
    annotation = str(signature.parameters["filters"].annotation)
    match = re.search(r"Unpack\[(\w+)\]", annotation)
    assert match, annotation
    declared = getattr(models, match.group(1))
    return set(declared.__optional_keys__) | set(declared.__required_keys__)


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_methods_use_their_request_models_names(group: str) -> None:
    """A parameter is either a field of ``<Group><Method>Request`` or a known helper
    parameter, so the model and the method never spell one thing two ways."""
    problems = []
    for method, signature in public_methods(GROUPS[group]):
        request = getattr(models, f"{group.capitalize()}{camel(method)}Request", None)
        if request is None:
            continue
        fields = {a.name for a in attrs.fields(request)}
        names = set(signature.parameters) - {"self", "filters"} | _search_filters(signature)
        pagination = {"page", "page_size", "sort_column", "sort_direction"}
        for name in sorted(names - OPTIONS - HELPER_PARAMETERS - pagination):
            if name not in fields:
                problems.append(f"{group}.{method}({name}) is no field of {request.__name__}")
    assert problems == []


def test_model_classes_are_group_then_method_or_english() -> None:
    problems = []
    methods = {
        f"{group.capitalize()}{camel(method)}"
        for group, cls in GROUPS.items()
        for method, _ in public_methods(cls)
    }
    for cls in public_model_classes():
        name = cls.__name__
        prefix = max((m for m in methods if name.startswith(m)), key=len, default=None)
        if prefix is not None:
            rest = name[len(prefix) :]
            if rest not in ("Request", "Response", "Result", "Filters"):
                problems.append(f"{name}: <Group><Method> then Request/Response/Result/Filters")
        elif bad := english_words(name):
            problems.append(f"{name}: not English: {bad}")
    assert problems == []


def test_model_fields_are_english_and_spelled_once() -> None:
    problems = []
    for cls in public_model_classes():
        if not attrs.has(cls):
            continue
        for attribute in attrs.fields(cls):
            if bad := english_words(attribute.name):
                problems.append(f"{cls.__name__}.{attribute.name}: not English: {bad}")
            if attribute.name in _SECOND_SPELLINGS:
                main = _SECOND_SPELLINGS[attribute.name]
                problems.append(f"{cls.__name__}.{attribute.name}: spell it {main}")
    assert problems == []


def test_the_naming_check_catches_french_and_second_spellings() -> None:
    assert english_words("numero_facture") == ["numero", "facture"]
    assert english_words("FactureFournisseur") == ["facture", "fournisseur"]
    assert english_words("montant_ht_min") == ["montant", "ht"]
    assert english_words("invoice_date_from") == []
    assert _SECOND_SPELLINGS["main_attachment_id"] == "attachment_id"

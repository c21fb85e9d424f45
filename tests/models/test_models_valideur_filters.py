"""The validator search's filters are declared once and checked by name."""

from __future__ import annotations

import attrs
import pytest

from factpulse_chorus import RequestValidationError
from factpulse_chorus.models._fields import check_filter_names
from factpulse_chorus.models.valideur import ValideurRechercherFilters, ValideurRechercherRequest

# Not filters: set by the method itself (page, credentials) or from the pagination keywords.
_COMPUTED = {"pagination", "credentials"}
_PAGINATION = {"page_size", "sort_column", "sort_direction"}
_SEARCH = "valideur.rechercher"


def test_the_filters_are_every_field_of_the_request_plus_the_pagination() -> None:
    fields = {a.name for a in attrs.fields(ValideurRechercherRequest)} - _COMPUTED
    declared = set(ValideurRechercherFilters.__optional_keys__)
    assert ValideurRechercherFilters.__required_keys__ == frozenset()
    assert declared == fields | _PAGINATION
    assert "billing_framework" in declared
    assert "extra" in declared


def test_an_unknown_filter_is_refused_by_name() -> None:
    check_filter_names({"status": ["A_VALIDER_1"]}, ValideurRechercherFilters, _SEARCH)
    with pytest.raises(RequestValidationError) as info:
        check_filter_names({"statut_courant": ["A_VALIDER_1"]}, ValideurRechercherFilters, _SEARCH)
    assert info.value.field == "statut_courant"
    assert "not a filter of valideur.rechercher" in info.value.rule


def test_a_blank_status_names_the_sdk_parameter() -> None:
    with pytest.raises(RequestValidationError) as info:
        ValideurRechercherRequest(status=["A_VALIDER_1", " "])
    assert info.value.field == "status"

"""Every public method's arguments checked against its annotations, before its body runs.

:func:`checked` wraps a method so that a value of the wrong type is a
:class:`~factpulse_chorus.RequestValidationError` naming the SDK parameter (``invoice_ids``,
``final_statuses[0]``, ``extra_headers.X-Trace``) and the rule, instead of an
``AttributeError`` or ``TypeError`` from deep inside, or a request sent with nonsense. The
rules are read from the annotations, so a new parameter is checked as soon as it is
annotated. Only types are checked here; value rules (a SIRET's key, 2 decimals, ...) stay
with the request models.

Collections: a parameter typed ``Iterable[X]``/``Collection[X]``/``Sequence[X]`` refuses a
bare ``str``/``bytes`` (it would be split into letters) and a mapping, and is passed on
as a tuple, each item checked (so a one-shot iterator is read once). Where one code is
accepted on its own, the annotation says so (``X | Sequence[X]``).
"""

from __future__ import annotations

import collections.abc as abc
import datetime as dt
import functools
import inspect
import os
import re
import types
import typing
from collections.abc import Callable
from decimal import Decimal
from typing import Any, Final, TypeVar, cast

from ._exceptions import RequestValidationError

__all__ = ["checked", "wrap_public_methods"]

F = TypeVar("F", bound=Callable[..., Any])

_TEXT: Final = (str, bytes, bytearray, memoryview)
_COLLECTIONS: Final = frozenset(
    {abc.Iterable, abc.Collection, abc.Sequence, abc.Set, list, tuple, set, frozenset}
)


class _Unpack:
    """Stands for ``typing_extensions.Unpack`` while annotations are evaluated."""

    def __class_getitem__(cls, item: Any) -> Any:
        return _Filters(item)


class _Filters:
    """``**filters: Unpack[SomeTypedDict]``: each keyword is checked against its key."""

    def __init__(self, declared: type) -> None:
        self.declared = declared

    def __call__(self) -> None:
        # Never called: Python 3.10's get_type_hints accepts only callables as annotations.
        raise TypeError("an annotation marker")


class _Rule:
    """How one annotation accepts a value: ``shallow`` picks the member of a union, ``check``
    verifies it (items included) and returns what to pass on."""

    __slots__ = ("check", "plural", "shallow", "text")

    def __init__(
        self,
        shallow: Callable[[object], bool],
        text: str,
        plural: str,
        check: Callable[[str, object], object] | None = None,
    ) -> None:
        self.shallow = shallow
        self.text = text
        self.plural = plural
        self.check = check or _identity


def _identity(_field: str, value: object) -> object:
    return value


def _names() -> dict[str, Any]:
    """What the annotations of the public methods may name (imports under TYPE_CHECKING)."""
    from . import _files, _polling, _types, models
    from .models import (
        _factures_search,
        _invoice_detail,
        common,
        factures,
        structures,
        transverses,
        valideur,
    )
    from .store import _records, _sqlite

    names: dict[str, Any] = {}
    for module in (
        abc,
        typing,
        _records,
        _sqlite,
        _types,
        _files,
        _polling,
        common,
        _invoice_detail,
        _factures_search,
        factures,
        structures,
        transverses,
        valideur,
        models,
    ):
        names.update({k: v for k, v in vars(module).items() if not k.startswith("__")})
    names.update(
        os=os, date=dt.date, datetime=dt.datetime, Decimal=Decimal, Any=Any, Unpack=_Unpack
    )
    return names


def _instance(cls: type, text: str, plural: str) -> _Rule:
    return _Rule(lambda value: isinstance(value, cls), text, plural)


def _an(name: str) -> str:
    return f"{'an' if name[:1] in 'AEIOUaeiou' else 'a'} {name}"


_SCALARS: Final[dict[Any, _Rule]] = {
    Any: _Rule(lambda value: True, "anything", "anything"),
    object: _Rule(lambda value: True, "anything", "anything"),
    type(None): _Rule(lambda value: value is None, "None", "None"),
    bool: _instance(bool, "True or False", "booleans"),
    int: _Rule(
        lambda value: isinstance(value, int) and not isinstance(value, bool),
        "an integer",
        "integers",
    ),
    float: _Rule(
        lambda value: isinstance(value, (int, float)) and not isinstance(value, bool),
        "a number",
        "numbers",
    ),
    str: _instance(str, "a string", "strings"),
    bytes: _Rule(lambda value: isinstance(value, (bytes, bytearray, memoryview)), "bytes", "bytes"),
    Decimal: _instance(Decimal, "a decimal.Decimal (floats are not exact)", "decimal.Decimals"),
    dt.datetime: _instance(dt.datetime, "a datetime.datetime", "datetime.datetimes"),
    dt.date: _instance(dt.date, "a datetime.date", "datetime.dates"),
}


def _union(members: list[_Rule]) -> _Rule:
    shown = [m for m in members if m.text]  # NOT_GIVEN is accepted, never suggested
    texts = [m.text for m in shown]
    text = texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " or " + texts[-1]
    plural = " or ".join(m.plural for m in shown)

    def shallow(value: object) -> bool:
        return any(member.shallow(value) for member in members)

    def check(field: str, value: object) -> object:
        for member in members:
            if member.shallow(value):
                return member.check(field, value)
        return value  # unreachable: _checker calls shallow() first

    return _Rule(shallow, text, plural, check)


def _collection(item: _Rule) -> _Rule:
    def shallow(value: object) -> bool:
        return not isinstance(value, (*_TEXT, abc.Mapping)) and isinstance(value, abc.Iterable)

    def check(field: str, value: object) -> object:
        items = tuple(cast(abc.Iterable[object], value))
        return tuple(_apply(item, f"{field}[{index}]", one) for index, one in enumerate(items))

    text = f"a list or tuple of {item.plural} (not a single string)"
    return _Rule(shallow, text, f"lists of {item.plural}", check)


def _mapping(key: _Rule, value_rule: _Rule) -> _Rule:
    def check(field: str, value: object) -> object:
        for name, item in cast(abc.Mapping[object, object], value).items():
            if not key.shallow(name):
                raise RequestValidationError(field, f"keys must be {key.plural}")
            _apply(value_rule, f"{field}.{name}", item)
        return value

    text = f"a mapping of {key.plural} to {value_rule.plural}"
    if value_rule.text == "anything":
        text = f"a mapping with {key.plural} as keys"
    return _Rule(lambda value: isinstance(value, abc.Mapping), text, "mappings", check)


def _filters(declared: type, hints: dict[str, Any]) -> _Rule:
    rules = {name: _rule(hint) for name, hint in hints.items()}

    def check(_field: str, value: object) -> object:
        # Unknown names are left to check_filter_names, which lists the known ones.
        given = cast(dict[str, object], value)
        return {
            name: _apply(rules[name], name, item) if name in rules else item
            for name, item in given.items()
        }

    return _Rule(lambda value: True, f"filters of {declared.__name__}", "filters", check)


def _rule(hint: Any) -> _Rule:
    """The rule of one evaluated annotation."""
    if isinstance(hint, _Filters):
        return _filters(hint.declared, typing.get_type_hints(hint.declared))
    if hint in _SCALARS:
        return _SCALARS[hint]
    origin, arguments = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return _union([_rule(argument) for argument in arguments])
    if origin is typing.Literal:
        if all(isinstance(value, str) for value in arguments):
            # The request models judge the code itself (case, "-" vs "_", open sets).
            return _Rule(lambda value: isinstance(value, str), "a code string", "code strings")
        allowed = ", ".join(repr(value) for value in arguments)
        return _Rule(lambda value: value in arguments, f"one of {allowed}", f"values {allowed}")
    if origin in _COLLECTIONS and len(arguments) <= 2:
        return _collection(_rule(arguments[0]) if arguments else _SCALARS[Any])
    if origin is abc.Mapping:
        key, value = arguments or (Any, Any)
        return _mapping(_rule(key), _rule(value))
    if origin is abc.Callable or hint is abc.Callable:
        return _Rule(callable, "a function", "functions")
    if origin is os.PathLike:
        return _instance(os.PathLike, "a path (str or os.PathLike)", "paths")
    if origin is typing.IO or hint is typing.IO:
        return _Rule(
            lambda value: callable(getattr(value, "read", None)),
            "a binary file object",
            "binary file objects",
        )
    if inspect.isclass(hint):
        name = hint.__name__
        if name == "NotGiven":
            return _Rule(lambda value: isinstance(value, hint), "", "")
        return _instance(hint, _an(name), f"{name} objects")
    raise TypeError(f"no argument rule for the annotation {hint!r}")


def _apply(rule: _Rule, field: str, value: object) -> object:
    if not rule.shallow(value):
        given = "None" if value is None else _an(type(value).__name__)
        raise RequestValidationError(field, f"must be {rule.text}, not {given}")
    return rule.check(field, value)


_QUOTED = re.compile(r"'([^']+)'")


_POSITIONAL: Final = inspect.Parameter.POSITIONAL_OR_KEYWORD
_KEYWORD: Final = inspect.Parameter.KEYWORD_ONLY
_EXTRA: Final = inspect.Parameter.VAR_KEYWORD


class _Plan:
    """The rules of one function's parameters, built on its first call.

    :meth:`bind` binds a call by itself when the signature is plain (no ``*args``, no
    positional-only parameter): ``Signature.bind`` costs several microseconds. A call it
    cannot bind as-is (a missing, unknown or doubled argument) goes to ``Signature.bind``,
    whose ``TypeError`` words the error.
    """

    def __init__(self, fn: Callable[..., Any], signature: inspect.Signature) -> None:
        hints = typing.get_type_hints(fn, localns=_names())
        self.signature = signature
        parameters = list(signature.parameters.values())
        rules = {
            parameter.name: _rule(hints[parameter.name])
            for parameter in parameters
            if parameter.name in hints and parameter.name not in ("self", "return")
        }
        self.rules = rules
        self.plain = all(p.kind in (_POSITIONAL, _KEYWORD, _EXTRA) for p in parameters)
        self.positional = tuple(p.name for p in parameters if p.kind is _POSITIONAL)
        self.keywords = frozenset(p.name for p in parameters if p.kind in (_POSITIONAL, _KEYWORD))
        # (position or -1, name) of the parameters without a default.
        self.required = tuple(
            (self.positional.index(p.name) if p.kind is _POSITIONAL else -1, p.name)
            for p in parameters
            if p.kind is not _EXTRA and p.default is inspect.Parameter.empty
        )
        # (position or -1, name, rule, its deep check or None when it only looks at the
        # type), in the order of the signature, as Signature.bind.
        self.checks = tuple(
            (
                self.positional.index(p.name) if p.kind is _POSITIONAL else -1,
                p.name,
                rules[p.name],
                None if rules[p.name].check is _identity else rules[p.name].check,
            )
            for p in parameters
            if p.name in rules and p.kind is not _EXTRA
        )
        self.extra = next((p.name for p in parameters if p.kind is _EXTRA), None)
        # The rule of a checked ``**filters``, with its name.
        self.extra_check = next(
            ((p.name, rules[p.name]) for p in parameters if p.kind is _EXTRA and p.name in rules),
            None,
        )

    def bind(
        self, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The checked ``(args, kwargs)`` to call the function with; ``kwargs`` is reused."""
        count = len(args)
        if not self.plain or count > len(self.positional) or not self._binds(count, kwargs):
            return self._bind_slowly(args, kwargs)
        extra = None
        if self.extra_check is not None:
            extra = {name: value for name, value in kwargs.items() if name not in self.keywords}
        checked_args: list[Any] | None = None
        for position, name, rule, deep in self.checks:
            if 0 <= position < count:
                value = args[position]
                if deep is None and rule.shallow(value):
                    continue  # the type is all there is to check (_apply, inlined)
                new = _apply(rule, name, value)
                if new is not value:
                    if checked_args is None:
                        checked_args = list(args)
                    checked_args[position] = new
            elif name in kwargs:
                kwargs[name] = _apply(rule, name, kwargs[name])
        if extra and self.extra_check is not None:
            name, rule = self.extra_check
            kwargs.update(cast(dict[str, Any], _apply(rule, name, extra)))
        return (args if checked_args is None else tuple(checked_args)), kwargs

    def _binds(self, count: int, kwargs: dict[str, Any]) -> bool:
        """Whether the call binds: nothing doubled, unknown or missing."""
        if kwargs:
            for name in self.positional[:count]:
                if name in kwargs:
                    return False
            if self.extra is None and not self.keywords.issuperset(kwargs):
                return False
        return all(0 <= position < count or name in kwargs for position, name in self.required)

    def _bind_slowly(
        self, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            found = _QUOTED.search(str(exc))
            raise RequestValidationError(found[1] if found else "arguments", str(exc)) from None
        arguments = bound.arguments
        for name, value in arguments.items():
            rule = self.rules.get(name)
            if rule is not None:
                arguments[name] = _apply(rule, name, value)
        return bound.args, bound.kwargs


def checked(fn: F) -> F:
    """``fn`` with its arguments checked against its annotations at each call.

    Coroutine functions stay coroutine functions; an async generator function becomes a
    plain function returning the generator, so its arguments are checked at the call.
    """
    signature = inspect.signature(fn)
    plan: list[_Plan] = []

    def first_plan() -> _Plan:
        if not plan:
            plan.append(_Plan(fn, signature))
        return plan[0]

    wrapper: Callable[..., Any]
    if inspect.iscoroutinefunction(fn):

        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            args, kwargs = (plan[0] if plan else first_plan()).bind(args, kwargs)
            return await fn(*args, **kwargs)

    else:

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            args, kwargs = (plan[0] if plan else first_plan()).bind(args, kwargs)
            return fn(*args, **kwargs)

    functools.update_wrapper(wrapper, fn)
    attributes: Any = wrapper
    if inspect.isasyncgenfunction(fn):
        # The facade generator reads a __wrapped__ async generator as @asynccontextmanager.
        del attributes.__wrapped__
    attributes.__signature__ = signature
    attributes.__checked__ = True
    return cast(F, wrapper)


def wrap_public_methods(cls: type) -> None:
    """Apply :func:`checked` to the public methods ``cls`` itself defines."""
    for name, member in list(vars(cls).items()):
        public = not name.startswith("_") and inspect.isfunction(member)
        if public and not getattr(member, "__checked__", False):
            setattr(cls, name, checked(member))

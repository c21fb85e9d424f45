"""The constructors of the converter's fast path (:mod:`._converter`), one per model class.

On the fast path cattrs's generated per-class function looks the wire keys up and hands
the values, as received, to the function built here for the class, which:

* puts the field's default in place of a missing key or a JSON null (``null`` means
  "absent" wherever the model has a default, as on the detailed path);
* passes values that already have their exact type (``int``, ``str``, ``bool``, an enum
  code in its canonical spelling) as they are, and every other value through the
  converter's hook for the field's type, resolved once here rather than per value;
* fills the instance's slots directly.

That last step is what attrs' ``__init__`` does for a class with no validator, converter,
factory taking ``self``, ``__attrs_pre_init__``/``__attrs_post_init__`` or ``init=False``
field: only such classes get a constructor (:func:`fast_constructor` returns None for the
others, which keep cattrs's own function calling ``__init__``). Any failure here is only
a signal: :func:`~._converter.from_wire` then structures again on the detailed path,
which words the error (or reads lenient fields) exactly as it always did.
"""

from __future__ import annotations

import contextlib
import types
from collections.abc import Callable, Sequence
from enum import Enum
from typing import Any, Union, get_args, get_origin

import attrs

__all__ = ["fast_constructor"]

_EXACT = (int, str, bool)
_UNION_ORIGINS: tuple[Any, ...] = (Union, getattr(types, "UnionType", Union))


def _slots(cl: type) -> dict[str, Any] | None:
    """Each field's slot descriptor, or None when the class is not plain slots."""
    names = {a.name for a in attrs.fields(cl)}
    for klass in cl.__mro__[:-1]:
        declared = klass.__dict__.get("__slots__")
        if declared is None:
            if klass.__dict__.get("__attrs_attrs__") is not None:
                return None  # an attrs class with a __dict__
            continue
        extra = set((declared,) if isinstance(declared, str) else declared) - names
        if extra - {"__weakref__"}:
            return None  # e.g. a cached hash: attrs' __init__ sets it
    setters: dict[str, Any] = {}
    for name in names:
        descriptor = getattr(cl, name, None)
        if not isinstance(descriptor, types.MemberDescriptorType):
            return None
        setters[name] = descriptor.__set__
    return setters


def _plain(cl: type) -> bool:
    init = getattr(getattr(cl, "__init__", None), "__code__", None)
    if init is None or not init.co_filename.startswith("<attrs generated"):
        return False
    if hasattr(cl, "__attrs_pre_init__") or hasattr(cl, "__attrs_post_init__"):
        return False
    for a in attrs.fields(cl):
        if a.validator is not None or a.converter is not None or not a.init:
            return False
        if isinstance(a.default, attrs.Factory) and a.default.takes_self:  # type: ignore[arg-type]
            return False
    return True


def _inner(t: Any) -> Any:
    """``T`` for ``T | None``, else ``t``: what a value other than None must be."""
    if get_origin(t) in _UNION_ORIGINS:
        args = [a for a in get_args(t) if a is not type(None)]
        if len(args) == 1 and len(get_args(t)) == 2:
            return args[0]
    return t


def _generic_optional(field_hook: Any) -> bool:
    """Whether ``field_hook`` is cattrs's own hook for ``T | None`` (None, else ``T``'s
    hook), not one registered for the union itself."""
    return getattr(field_hook, "__name__", "") == "_structure_optional"


def _param(a: attrs.Attribute[Any]) -> str:
    """The parameter's name: the ``__init__`` one, which cattrs passes by keyword."""
    return a.alias or a.name


def fast_constructor(
    cl: type,
    wired: Sequence[attrs.Attribute[Any]],
    hook: Callable[[Any], Callable[[Any, Any], Any]],
) -> Callable[..., Any] | None:
    """The constructor for ``cl`` taking the ``wired`` fields (required ones first, by
    position, then the others by keyword), or None when ``cl`` cannot have one.

    ``hook(t)`` is the converter's structure hook for type ``t``.
    """
    slots = _slots(cl) if _plain(cl) else None
    if slots is None:
        return None
    names: dict[str, Any] = {"__new": object.__new__, "__cl": cl}
    required = [a for a in wired if a.default is attrs.NOTHING]
    optional = [a for a in wired if a.default is not attrs.NOTHING]
    params = [_param(a) for a in required] + [f"{_param(a)}=None" for a in optional]
    body: list[str] = []
    for number, a in enumerate(wired):
        p, t = _param(a), a.type
        inner = _inner(t)
        field_hook = hook(t)
        if a.default is not attrs.NOTHING and inner is not t and _generic_optional(field_hook):
            # None never reaches the hook of a defaulted field (it becomes the default
            # first): the inner type's hook is what cattrs's Optional hook would dispatch
            # to, resolved here once instead of per value.
            with contextlib.suppress(RecursionError):  # a model containing itself: cattrs's
                t, field_hook = inner, hook(inner)
        names[f"__h{number}"], names[f"__t{number}"] = field_hook, t
        convert = f"{p} = __h{number}({p}, __t{number})"
        if inner in _EXACT:
            names[f"__x{number}"] = inner
            convert = f"if type({p}) is not __x{number}: {convert}"
        elif isinstance(inner, type) and issubclass(inner, Enum):
            names[f"__m{number}"] = inner._value2member_map_
            convert = (
                f"{p} = (__m{number}.get({p}) if type({p}) is str else None) or "
                f"__h{number}({p}, __t{number})"
            )
        if a.default is attrs.NOTHING:
            body.append(f"  {convert}")
        elif a.default is None:
            body.append(f"  if {p} is not None:\n    {convert}")
        else:
            factory = isinstance(a.default, attrs.Factory)  # type: ignore[arg-type]
            names[f"__d{number}"] = a.default.factory if factory else a.default
            body.append(f"  if {p} is None: {p} = __d{number}{'()' if factory else ''}")
            body.append(f"  else:\n    {convert}")
    body.append("  __o = __new(__cl)")
    given = {a.name for a in wired}
    for number, a in enumerate(attrs.fields(cl)):
        names[f"__s{number}"] = slots[a.name]
        if a.name in given:
            value = _param(a)
        elif isinstance(a.default, attrs.Factory):  # type: ignore[arg-type]
            names[f"__f{number}"] = a.default.factory
            value = f"__f{number}()"
        elif a.default is not attrs.NOTHING:
            names[f"__f{number}"] = a.default
            value = f"__f{number}"
        else:
            return None  # a required field that is not on the wire: leave it to __init__
        body.append(f"  __s{number}(__o, {value})")
    body.append("  return __o")
    source = f"def build({', '.join(params)}):\n" + "\n".join(body) + "\n"
    exec(compile(source, f"<factpulse_chorus fast {cl.__qualname__}>", "exec"), names)
    build: Callable[..., Any] = names["build"]
    build.__name__, build.__qualname__ = cl.__name__, cl.__qualname__  # cattrs names after it
    build.__module__ = cl.__module__
    return build

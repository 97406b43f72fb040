"""Straight-line structure hooks for the generated attrs models.

cattrs' own ``make_dict_structure_fn`` calls one hook per field, collects the
fields in a dict and splats it into the class: for a 54-field CloudPayments
transaction that is about a hundred calls per answer. The hook built here
reads each key once and calls the converter's hook only when the JSON value is
not already what the field holds -- text for a ``str``, an integer for an
``int``, a ``Decimal`` (the JSON reader makes them) for money, a known member
for an open enum -- then fills the new instance's slots (or calls the class,
when its ``__init__`` does more than fill them). It uses the same
converter hooks for everything else, so what an answer reads into is what
cattrs' generic hook made of it, only cheaper -- with one deliberate
difference: text or a list where an object belongs fails here (cattrs found
none of the keys in it and built an empty object).
"""

from __future__ import annotations

import enum
import itertools
import linecache
import types
import typing
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import attrs
import cattrs

Hook = Callable[[Any, Any], Any]
Reader = Callable[[Any], Any]
KeyOf = Callable[[Any], str]

_SELF_TYPED = (str, int, bool, Decimal)
"""Field types a JSON value may already have exactly (``type(v) is T``): no hook then."""

_serial = itertools.count()


def optional_inner(tp: Any) -> Any | None:
    """``X`` for ``X | None`` (exactly one other member), else None."""
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return None
    args = typing.get_args(tp)
    if len(args) != 2 or type(None) not in args:
        return None
    return next(a for a in args if a is not type(None))


def open_enum_parts(tp: Any) -> tuple[type[enum.Enum], bool] | None:
    """For an open enum field, ``SomeEnum | str [| None]``: the enum and whether None is allowed."""
    if typing.get_origin(tp) not in (typing.Union, types.UnionType):
        return None
    args = typing.get_args(tp)
    enums = [a for a in args if isinstance(a, type) and issubclass(a, enum.Enum)]
    rest = {a for a in args if a not in enums}
    if len(enums) != 1 or str not in rest or not rest <= {str, type(None)}:
        return None
    return enums[0], type(None) in rest


class _Source:
    """The generated function's text and the objects it names."""

    def __init__(self, converter: cattrs.Converter, readers: Mapping[Any, Reader]) -> None:
        self.converter = converter
        self.readers = readers
        self.lines: list[str] = []
        self.names: dict[str, Any] = {}

    def name(self, prefix: str, value: Any) -> str:
        name = f"{prefix}{len(self.names)}"
        self.names[name] = value
        return name

    def call(self, tp: Any) -> str:
        """A call of the converter's hook for ``tp`` on ``v`` (or of its one-argument reader)."""
        reader = self.readers.get(tp)
        if reader is not None:
            return f"{self.name('r', reader)}(v)"
        hook = self.name("h", self.converter.get_structure_hook(tp))
        return f"{hook}(v, {self.name('t', tp)})"

    def conversion(self, tp: Any) -> str:
        """An expression turning ``v`` into a value of ``tp``."""
        if tp is Any:
            return "v"
        open_enum = open_enum_parts(tp)
        if open_enum is not None:
            # The open-enum hook returns the member or keeps the text; a known text is a lookup.
            lookup = self.name("m", open_enum[0]._value2member_map_.get)
            return f"{lookup}(v, v) if type(v) is str else {self.call(tp)}"
        inner = optional_inner(tp)
        if inner is not None:
            if inner is Any:
                return "v"
            if inner in _SELF_TYPED:
                kind = self.name("T", inner)
                return f"v if v is None or type(v) is {kind} else {self.call(inner)}"
            return f"None if v is None else {self.call(inner)}"
        if tp in _SELF_TYPED:
            return f"v if type(v) is {self.name('T', tp)} else {self.call(tp)}"
        return self.call(tp)


def _slot_setters(cls: type) -> dict[str, Any] | None:
    """Each field's slot setter, when filling the slots is all that ``cls.__init__`` does.

    That holds for the generated models: slotted, frozen (attrs' own ``__init__``
    goes through ``object.__setattr__`` for that, which costs twice a slot's
    setter), with no validators, converters, init hooks or cached hash. For any
    other class this returns None and the hook calls the class.
    """
    if any(hasattr(cls, hook) for hook in ("__attrs_pre_init__", "__attrs_post_init__")):
        return None
    fields = attrs.fields(cls)
    slots = {slot for klass in cls.__mro__ for slot in klass.__dict__.get("__slots__", ())}
    if slots - {f.name for f in fields} - {"__weakref__"}:
        return None  # a cached hash or another slot __init__ would fill
    setters: dict[str, Any] = {}
    for field in fields:
        if not field.init or field.validator is not None or field.converter is not None:
            return None
        default = field.default
        if isinstance(default, attrs.Factory) and default.takes_self:  # type: ignore[arg-type]
            return None
        owner = next((k for k in cls.__mro__ if field.name in k.__dict__), None)
        slot = owner.__dict__[field.name] if owner is not None else None
        if not isinstance(slot, types.MemberDescriptorType):
            return None
        setters[field.name] = slot.__set__
    return setters


def make_structure_fn(
    cls: type,
    converter: cattrs.Converter,
    *,
    key_of: KeyOf,
    readers: Mapping[Any, Reader] | None = None,
) -> Hook:
    """A structure hook for the attrs class ``cls`` reading each field from ``key_of(field)``.

    ``readers`` maps a type to a one-argument function that reads it (the
    provider's date-time parser): called directly, it saves the hook's wrapper.
    A missing required key raises ``KeyError`` and a value no hook accepts
    raises what that hook raises, as with cattrs; unknown keys are ignored.
    """
    attrs.resolve_types(cls)
    source = _Source(converter, readers or {})
    setters = _slot_setters(cls)
    body = source.lines
    keywords: list[str] = []
    later: list[attrs.Attribute[Any]] = []
    for field in attrs.fields(cls):
        if not field.init:
            continue
        if setters is None and field.default is not attrs.NOTHING and field.default is not None:
            later.append(field)  # passed only when sent, so that the class's default stays
            continue
        key = key_of(field)
        default = field.default
        if default is attrs.NOTHING or default is None:
            fetch = f"o[{key!r}]" if default is attrs.NOTHING else f"get({key!r})"
            body.append(f"    v = {fetch}")
            value = source.conversion(field.type)
        else:
            # A default other than None applies only when the key is absent.
            if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                fallback = f"{source.name('d', default.factory)}()"
            else:
                fallback = source.name("d", default)
            body.append(f"    if {key!r} in o:")
            body.append(f"        v = o[{key!r}]")
            body.append(f"        v = {source.conversion(field.type)}")
            body.append("    else:")
            body.append(f"        v = {fallback}")
            value = "v"
        if setters is not None:
            body.append(f"    {source.name('s', setters[field.name])}(obj, {value})")
        else:
            variable = f"f{len(keywords)}"
            body.append(f"    {variable} = {value}")
            keywords.append(f"{field.alias}={variable}")
    if later:
        body.append("    sent = {}")
        for field in later:
            key = key_of(field)
            body.append(f"    if {key!r} in o:")
            body.append(f"        v = o[{key!r}]")
            body.append(f"        sent[{field.alias!r}] = {source.conversion(field.type)}")
        keywords.append("**sent")
    name = f"structure_{cls.__name__}"
    if setters is not None:
        head = [f"def {name}(o, _=None):", "    get = o.get", "    obj = new(cls)"]
        tail = "    return obj"
    else:
        head = [f"def {name}(o, _=None):", "    get = o.get"]
        tail = f"    return cls({', '.join(keywords)})"
    text = "\n".join([*head, *body, tail])
    filename = f"<aioacquiring structure {cls.__module__}.{cls.__qualname__} {next(_serial)}>"
    namespace: dict[str, Any] = {"cls": cls, "new": object.__new__, **source.names}
    exec(compile(text, filename, "exec"), namespace)  # our own text, built from the class's types
    # Tracebacks through the hook show its lines, as they do for cattrs' generated code.
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    hook: Hook = namespace[name]
    return hook

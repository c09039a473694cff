"""`value_object`: a frozen dataclass that is cheap to build.

A frozen dataclass's generated `__init__` stores each field through `object.__setattr__`,
one call per field; with about a hundred fields set per decision that costs as much as the
rules themselves. `value_object` keeps everything `dataclass(frozen=True)` gives (the same
signature and defaults, `__post_init__`, equality, hashing, repr, `FrozenInstanceError` on
assignment, `dataclasses.fields` and `replace`) and only writes a different `__init__`: one
that gives the new instance its dict, built whole, in one call, as `dataclasses` itself
writes it with `exec`. Filling the dict that `self.__dict__` hands out would be a little
cheaper to build, but CPython 3.11 keeps that one split from its values, and every later
attribute read of a split dict takes the slow path: the rules read the facts' fields about
twice as fast from a dict of their own.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from typing import TypeVar, dataclass_transform

T = TypeVar("T")


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def value_object(cls: type[T]) -> type[T]:
    cls = dataclass(frozen=True)(cls)
    namespace: dict[str, object] = {"_HAS_FACTORY": object(), "_set": object.__setattr__}
    parameters: list[str] = []
    body: list[str] = []
    values: list[str] = []
    for spec in fields(cls):  # type: ignore[arg-type]
        name = spec.name
        if not spec.init:
            raise TypeError(f"{cls.__name__}.{name}: value objects set every field in __init__")
        if spec.default is not MISSING:
            namespace[f"_default_{name}"] = spec.default
            parameters.append(f"{name}=_default_{name}")
        elif spec.default_factory is not MISSING:
            namespace[f"_factory_{name}"] = spec.default_factory
            parameters.append(f"{name}=_HAS_FACTORY")
            body.append(f"    if {name} is _HAS_FACTORY:\n        {name} = _factory_{name}()")
        else:
            parameters.append(name)
        values.append(f"{name!r}: {name}")
    body.append(f"    _set(self, '__dict__', {{{', '.join(values)}}})")
    if hasattr(cls, "__post_init__"):
        body.append("    self.__post_init__()")
    source = f"def __init__(self, {', '.join(parameters)}):\n" + "\n".join(body) + "\n"
    # The source is built above from the class's own field names, never from input.
    exec(source, namespace)  # noqa: S102  # nosec B102
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"  # type: ignore[attr-defined]
    init.__module__ = cls.__module__
    cls.__init__ = init  # type: ignore[method-assign, assignment]
    return cls

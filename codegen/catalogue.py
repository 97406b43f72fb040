"""Render a provider's operation catalogue into typed client methods.

The request models are imported from the freshly generated scratch package so
that each method's keyword arguments mirror the model's fields exactly (same
names, same types, same defaults); their descriptions come from the schemas.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import re
import types
import typing
from collections import defaultdict
from pathlib import Path
from typing import Any

import attrs

VERSION_PREFIX = re.compile(r"^/v(\d+)(/.*)$")


class Imports:
    """Collects ``from module import name`` lines for the generated module."""

    def __init__(self) -> None:
        self.names: dict[str, set[str]] = defaultdict(set)
        self.modules: set[str] = set()

    def add(self, module: str, name: str) -> str:
        self.names[module].add(name)
        return name

    def render(self) -> str:
        lines = [f"import {module}" for module in sorted(self.modules)]
        for module in sorted(self.names):
            lines.append(f"from {module} import {', '.join(sorted(self.names[module]))}")
        return "\n".join(lines)


class TypeRenderer:
    """Turns resolved annotations back into source text, recording the imports."""

    def __init__(self, imports: Imports, scratch_package: str) -> None:
        self.imports = imports
        self.scratch_package = scratch_package

    def __call__(self, tp: Any) -> str:
        if tp is type(None):
            return "None"
        origin = typing.get_origin(tp)
        if origin in (typing.Union, types.UnionType):
            args = typing.get_args(tp)
            parts = [self(a) for a in args if a is not type(None)]
            if type(None) in args:
                parts.append("None")
            return " | ".join(parts)
        if origin in (list, dict):
            self.imports.modules.add("builtins")
            inner = ", ".join(self(a) for a in typing.get_args(tp))
            return f"builtins.{origin.__name__}[{inner}]"
        if tp is typing.Any:
            return self.imports.add("typing", "Any")
        if tp in (int, str, bool, float, bytes):
            return str(tp.__name__)
        if tp is decimal.Decimal:
            return self.imports.add("decimal", "Decimal")
        if tp in (dt.datetime, dt.date):
            return self.imports.add("datetime", tp.__name__)
        module = tp.__module__
        if module.startswith(self.scratch_package):
            module = "aioacquiring.models" + module[len(self.scratch_package) :]
            return self.imports.add(module, tp.__name__)
        raise TypeError(f"cannot render type {tp!r}")


def schema_descriptions(schemas_dir: Path) -> dict[str, dict[str, str]]:
    """Class name -> {"": class description, JSON key: field description}."""
    index: dict[str, dict[str, str]] = {}

    def visit(name: str, schema: dict[str, Any]) -> None:
        if "properties" in schema:
            entry = {"": schema.get("description", "")}
            for key, prop in schema["properties"].items():
                entry[key] = prop.get("description", "")
            index[name] = entry
        for def_name, definition in schema.get("$defs", {}).items():
            visit(def_name, definition)

    for path in sorted(schemas_dir.glob("*.json")):
        document = json.loads(path.read_text())
        if "operations" in document:
            continue
        visit(document.get("title", path.stem), document)
    return index


def method_names(operations: list[dict[str, Any]]) -> list[tuple[str | None, str]]:
    """(namespace, method) per operation, by the DESIGN.md naming rule."""
    stripped: list[tuple[int, list[str]]] = []
    for op in operations:
        match = VERSION_PREFIX.match(op["path"])
        version, path = (int(match[1]), match[2]) if match else (1, op["path"])
        # An RPC path names namespace and method with dots (Alif: `/checkout.payment.create`).
        segments = [s for part in path.split("/") for s in part.split(".")]
        stripped.append((version, [s for s in segments if s and not s.startswith("{")]))
    newest: dict[str, int] = {}
    for version, segments in stripped:
        key = "/".join(segments)
        newest[key] = max(newest.get(key, 0), version)
    names: list[tuple[str | None, str]] = []
    for version, segments in stripped:
        suffix = "" if version == newest["/".join(segments)] else f"_v{version}"
        if len(segments) == 1:
            names.append((None, segments[0] + suffix))
        else:
            method = "_".join(s.replace("-", "_") for s in segments[1:])
            names.append((segments[0], method.lower() + suffix))
    return names


def class_name(namespace: str) -> str:
    return "".join(part.capitalize() for part in namespace.split("_")) + "Methods"


def wrap(text: str, indent: str, width: int = 96) -> list[str]:
    """Word-wrap a docstring line; continuation lines are indented one level more."""
    words = text.split()
    lines: list[str] = []
    current = ""
    for word in words:
        prefix = indent if not lines else indent + "    "
        if current and len(prefix) + len(current) + 1 + len(word) > width:
            lines.append(prefix + current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append((indent if not lines else indent + "    ") + current)
    return lines


COMMON_ARGS_DOC = {
    "idempotency_key": "Key that makes retries of this call safe; one is made for you "
    "when omitted on a call that moves money. Pass your own (an order id) to resume "
    "the same logical call after a crash.",
    "timeout": "Per-attempt timeout override (seconds or Timeout).",
    "retry": "Retry policy override for this call.",
    "max_items": "Stop after this many items.",
    "prefetch": "Fetch the next page while the current one is being consumed.",
}


def render_resources(
    catalogue: dict[str, Any],
    *,
    models: Any,
    scratch_package: str,
    schemas_dir: Path,
    header: str,
) -> str:
    imports = Imports()
    render_type = TypeRenderer(imports, scratch_package)
    descriptions = schema_descriptions(schemas_dir)
    decoders = catalogue["decoders_module"]
    defaults = catalogue.get("defaults", {})
    imports.add("aioacquiring.core.client", "BaseClient")
    imports.add("aioacquiring.core.config", "RetryPolicy")
    imports.add("aioacquiring.core.config", "Timeout")
    imports.add("aioacquiring.core.operation", "Operation")

    constants: list[str] = []
    methods: dict[str | None, list[str]] = defaultdict(list)
    operations = catalogue["operations"]
    for op, (namespace, method) in zip(operations, method_names(operations), strict=True):
        full_name = f"{namespace}.{method}" if namespace else method
        const = full_name.replace(".", "_").upper()
        settings = {**defaults, **op}
        result = op["result"]
        paging = op.get("paging")
        if isinstance(result, str):
            spec = catalogue["results"][result]
            decoder = imports.add(decoders, spec["decoder"])
            result_type = spec["type"]
            if "type_module" in spec:
                imports.add(spec["type_module"], result_type)
        elif "items" in result:
            model_type = render_type(getattr(models, result["items"]))
            decoder = f"{imports.add(decoders, 'decode_list')}({model_type})"
            result_type = f"builtins.list[{model_type}]"
            imports.modules.add("builtins")
        elif "model" in result:
            model_type = render_type(getattr(models, result["model"]))
            decoder = f"{imports.add(decoders, 'decode_model')}({model_type})"
            result_type = model_type
        else:
            model_type = render_type(getattr(models, result["list"]))
            decoder = f"{imports.add(decoders, 'decode_list')}({model_type})"
            result_type = (
                f"{imports.add('aioacquiring.core.pagination', 'Paginator')}[{model_type}]"
            )
        op_args = [
            f"name={full_name!r}",
            f"path={op['path']!r}",
            f"decode={decoder}",
            f"http_method={settings.get('http_method', 'POST')!r}",
            f"moves_money={bool(settings.get('moves_money', False))}",
            f"dedupe={bool(settings.get('dedupe', False))}",
        ]
        if settings.get("flags"):
            op_args.append(f"flags=frozenset({sorted(settings['flags'])!r})")
        request_name = op["request"]
        request_cls = getattr(models, request_name) if request_name else None
        page_field = None
        if paging:
            imports.add("aioacquiring.core.operation", "Paging")
            page_field = next(
                f.name
                for f in attrs.fields(request_cls)
                if f.metadata["key"] == paging["page_field"]
            )
            op_args.append(
                f"paging=Paging(page_field={page_field!r}, page_size={paging['page_size']}, "
                f"first_page={paging.get('first_page', 1)})"
            )
        placeholders = re.findall(r"{(\w+)}", op["path"])
        if placeholders:
            pairs = [
                (key, next(f.name for f in attrs.fields(request_cls) if f.metadata["key"] == key))
                for key in placeholders
            ]
            op_args.append(f"path_params={tuple(pairs)!r}")
        constants.append(f"{const} = Operation({', '.join(op_args)})")

        params: list[str] = []
        fields: list[str] = []
        args_doc: list[tuple[str, str]] = []
        if request_cls is not None:
            request_type = render_type(request_cls)
            hints = typing.get_type_hints(request_cls)
            docs = descriptions.get(request_name, {})
            ordered = sorted(
                attrs.fields(request_cls), key=lambda f: f.default is not attrs.NOTHING
            )
            for field in ordered:
                if field.name == page_field:
                    continue
                annotation = render_type(hints[field.name])
                if field.default is attrs.NOTHING:
                    params.append(f"{field.name}: {annotation}")
                else:
                    params.append(f"{field.name}: {annotation} = {field.default!r}")
                fields.append(f"{field.name}={field.name}")
                args_doc.append((field.name, docs.get(field.metadata["key"], "")))
            if page_field:
                fields.append(f"{page_field}={paging.get('first_page', 1)}")
            request_expr = f"{request_type}({', '.join(fields)})"
        else:
            request_expr = "None"
        if paging:
            extra = [
                "max_items: int | None = None",
                "prefetch: bool = False",
                "timeout: float | Timeout | None = None",
                "retry: RetryPolicy | None = None",
            ]
            call_args = "max_items=max_items, prefetch=prefetch, timeout=timeout, retry=retry"
            runner = "paginate"
        elif settings.get("dedupe"):
            extra = [
                "idempotency_key: str | None = None",
                "timeout: float | Timeout | None = None",
                "retry: RetryPolicy | None = None",
            ]
            call_args = "idempotency_key=idempotency_key, timeout=timeout, retry=retry"
            runner = "call"
        else:
            # The provider cannot dedupe this call: offering a key would only invite an error.
            extra = ["timeout: float | Timeout | None = None", "retry: RetryPolicy | None = None"]
            call_args = "timeout=timeout, retry=retry"
            runner = "call"
        for name in [e.split(":")[0] for e in extra]:
            args_doc.append((name, COMMON_ARGS_DOC[name]))

        target = "self" if namespace is None else "self._client"
        signature = ", ".join(["self", "*", *params, *extra])
        lines = [
            f"    {'def' if paging else 'async def'} {method}({signature}) -> {result_type}:",
            '        """' + op["summary"],
            "",
            f"        ``{settings.get('http_method', 'POST')} {op['path']}``"
            + (" -- moves money." if settings.get("moves_money") else ""),
            "",
            "        Args:",
        ]
        for name, doc in args_doc:
            lines.extend(wrap(f"{name}: {doc}" if doc else f"{name}: see the provider's docs.",
                              "            "))  # fmt: skip
        lines.append('        """')
        call = f"{target}.{runner}({const}, {request_expr}, {call_args})"
        lines.append(f"        return {'await ' if not paging else ''}{call}")
        methods[namespace].append("\n".join(lines))

    namespace_docs = catalogue.get("namespaces", {})
    blocks: list[str] = []
    for namespace in sorted(n for n in methods if n is not None):
        doc = namespace_docs.get(namespace, f"Methods under ``/{namespace}``.")
        blocks.append(
            f"class {class_name(namespace)}:\n"
            f'    """{doc}"""\n\n'
            "    def __init__(self, client: BaseClient) -> None:\n"
            "        self._client = client\n\n" + "\n\n".join(methods[namespace])
        )
    client_class = catalogue["client_class"]
    attributes = "\n".join(
        f"    {n}: {class_name(n)}" for n in sorted(n for n in methods if n is not None)
    )
    binds = "\n".join(
        f"        self.{n} = {class_name(n)}(self)" for n in sorted(n for n in methods if n)
    )
    root_methods = "\n\n".join(methods.get(None, []))
    blocks.append(
        f"class {client_class}(BaseClient):\n"
        f'    """The {catalogue["display_name"]} operations, one method per endpoint '
        '(generated from the catalogue)."""\n\n'
        f"{attributes}\n\n"
        "    def _bind_namespaces(self) -> None:\n"
        f"{binds}\n\n"
        f"{root_methods}"
    )
    module_doc = (
        f'"""Typed {catalogue["display_name"]} methods, generated from the operation catalogue."""'
    )
    return (
        "\n\n".join(
            [
                header + "\n" + module_doc,
                "from __future__ import annotations",
                imports.render(),
                "\n".join(constants),
                *blocks,
            ]
        )
        + "\n"
    )

"""Message templates: Jinja2 in a sandbox, strict about undefined names, Vietnamese first then English.

A template ``NAME.txt.j2`` starts with a ``Subject:`` line; the rest is the body. Administrators may put
their own templates (same names override the shipped ones) in the folder named by ``templates_dir``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from admission_flow.errors import ConfigurationError

SUFFIX = ".txt.j2"


class Renderer:
    def __init__(self, templates_dir: Path | None = None) -> None:
        loaders: list[Any] = [PackageLoader("admission_flow.notify", "templates")]
        if templates_dir is not None:
            if not Path(templates_dir).is_dir():
                raise ConfigurationError(f"templates_dir {templates_dir}: no such folder")
            loaders.insert(0, FileSystemLoader(str(templates_dir)))
        self.env = SandboxedEnvironment(
            loader=ChoiceLoader(loaders),
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            auto_reload=False,  # compiled once per process; restart to pick up an edited template
        )
        self.env.filters["vn_date"] = lambda d: d.strftime("%d/%m/%Y")

    def names(self) -> frozenset[str]:
        return frozenset(n.removesuffix(SUFFIX) for n in self.env.list_templates() if n.endswith(SUFFIX))

    def render(self, name: str, context: dict[str, Any]) -> tuple[str, str]:
        """Return (subject, body)."""
        try:
            text = self.env.get_template(name + SUFFIX).render(**context)
        except TemplateError as exc:
            raise ConfigurationError(f"template {name!r} failed to render: {exc}") from exc
        first, _, body = text.partition("\n")
        if not first.startswith("Subject:"):
            raise ConfigurationError(f"template {name!r} must start with a 'Subject:' line")
        return first.removeprefix("Subject:").strip(), body.lstrip("\n")

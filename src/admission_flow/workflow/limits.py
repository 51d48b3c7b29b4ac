"""What the workflow loader accepts, as one value: a deployment may raise or lower each bound in its settings
(``workflow_max_*``). The defaults leave the shipped workflows far inside them: they nest 8 levels at most,
expand to at most 3,384 keys and values (standard-2021.yaml, whose anchors are listed several times), their
longest number has 3 characters and the largest file is under 40 KiB."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LoaderLimits:
    max_depth: int = 100  # levels of lists and mappings
    max_nodes: int = 100_000  # keys and values once aliases are expanded
    max_number_chars: int = 100  # digits (and signs, points) of one number
    max_file_bytes: int = 4 * 1024 * 1024  # a workflow file in the folder (an upload has its own, smaller bound)

    @property
    def deeper(self) -> str:
        return f"more than {self.max_depth} levels of lists and mappings"


DEFAULT_LIMITS = LoaderLimits()

"""``Catalog.check_text``: one more document checked against a loaded catalog, and the bounds that keep a large
or hostile document cheap to check (section limits, a budget of did-you-mean hints)."""

from __future__ import annotations

from pathlib import Path

from admission_flow.engine.catalog import Catalog
from admission_flow.guards import default_registry
from admission_flow.workflow.checks import MAX_HINTS

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = Catalog.from_folder(ROOT / "workflows", default_registry())


def many_states(n: int, *, dest_prefix: str = "s") -> str:
    states = "".join(f"  state_{i}: {{label: {{vi: a, en: b}}}}\n" for i in range(n))
    moves = "".join(
        f"  - {{trigger: t{i}, source: state_{i}, dest: {dest_prefix}tate_{i + 1}}}\n" for i in range(n - 1)
    )
    return f'id: big\nversion: "1"\ntitle: {{vi: a, en: b}}\ninitial: state_0\nstates:\n{states}transitions:\n{moves}'


def test_a_checked_document_is_compiled_but_not_added() -> None:
    text = (ROOT / "tests" / "workflows" / "valid" / "minimal.yaml").read_text(encoding="utf-8")
    wf, problems = SHIPPED.check_text(text, "minimal.yaml")
    assert problems == [] and wf is not None and wf.key == "minimal@1"
    assert len(SHIPPED) == len(list((ROOT / "workflows").glob("*.yaml")))  # one version per shipped file


def test_a_variant_extends_the_loaded_merged_version() -> None:
    text = 'id: pilot\nversion: "1"\nextends: students@2025\n'
    wf, problems = SHIPPED.check_text(text, "pilot.yaml")
    assert problems == [] and wf is not None
    assert "transcript" in wf.spec.documents  # from students@2025, itself a variant of standard@2025
    assert wf.spec.in_force_from == SHIPPED.get("students", "2025").spec.in_force_from


def test_section_limits_stop_the_check_before_validation() -> None:
    wf, problems = SHIPPED.check_text(many_states(12), "big.yaml", limits={"states": 10, "transitions": 11})
    assert wf is None
    assert [str(p) for p in problems] == ["big.yaml:6:3: states: 12 entries; at most 10 are accepted here"]


def test_a_document_gets_a_bounded_number_of_did_you_mean_hints() -> None:
    # Every dest is misspelt ("xtate_1"); each would cost a difflib pass over every state name.
    wf, problems = SHIPPED.check_text(many_states(40, dest_prefix="x"), "big.yaml")
    assert wf is None
    unknown = [p for p in problems if "unknown state" in p.message]
    assert len(unknown) == 39
    assert sum("did you mean" in p.message for p in unknown) == MAX_HINTS
    assert unknown[0].message == "unknown state 'xtate_1' (did you mean 'state_1'?)"

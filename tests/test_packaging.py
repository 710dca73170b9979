"""The package as people install and cite it: licence, citation, version, typing marker."""
import importlib.metadata
import importlib.resources
import re
import tomllib
from pathlib import Path

import yaml

import ruralsim

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

#: files allowed to cite DESIGN.md (not in the repository): none; cite the published sources.
PENDING_DESIGN_CITATIONS: set[str] = set()


def test_licence_file_matches_the_declared_licence():
    assert PYPROJECT["project"]["license"] == "MIT"
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "Permission is hereby granted" in text
    assert "LICENSE" in PYPROJECT["project"]["license-files"]


def test_citation_file_is_valid_and_matches_the_package():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0" and cff["type"] == "software"
    assert cff["title"].startswith("ruralsim") and cff["authors"] and cff["message"]
    assert cff["version"] == ruralsim.__version__
    assert cff["license"] == PYPROJECT["project"]["license"]


def test_the_version_has_one_source():
    assert "version" not in PYPROJECT["project"]
    assert PYPROJECT["project"]["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {
        "attr": "ruralsim.__version__"}
    assert importlib.metadata.version("ruralsim") == ruralsim.__version__


def test_installed_metadata_has_classifiers_and_the_typing_marker():
    meta = importlib.metadata.metadata("ruralsim")
    classifiers = meta.get_all("Classifier") or []
    assert "Typing :: Typed" in classifiers and any(c.startswith("Topic ::") for c in classifiers)
    assert importlib.resources.files("ruralsim").joinpath("py.typed").is_file()
    assert "py.typed" in PYPROJECT["tool"]["setuptools"]["package-data"]["ruralsim"]


def test_no_user_facing_text_cites_the_design_file_that_is_not_shipped():
    assert not (ROOT / "DESIGN.md").exists()
    files = [ROOT / "README.md", ROOT / "CHANGELOG.md", ROOT / "CITATION.cff",
             *(ROOT / "docs").rglob("*.md"), *(ROOT / "notebooks").glob("*.ipynb"),
             *(p for p in (ROOT / "src").rglob("*")
               if p.suffix in (".py", ".md", ".yaml", ".csv") and p.is_file())]
    citing = {str(p.relative_to(ROOT)) for p in files
              if re.search(r"DESIGN(\.md)?\b", p.read_text(encoding="utf-8"))}
    assert citing <= PENDING_DESIGN_CITATIONS, sorted(citing - PENDING_DESIGN_CITATIONS)


def test_python_versions_claimed_include_3_13():
    classifiers = PYPROJECT["project"]["classifiers"]
    for v in ("3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {v}" in classifiers


def test_the_all_extra_names_every_extra_and_test_builds_on_it():
    extras = PYPROJECT["project"]["optional-dependencies"]
    others = set(extras) - {"all", "test"}
    named = {re.fullmatch(r"ruralsim\[(\w+)\]", r).group(1) for r in extras["all"]}
    assert named == others, "add the new extra to 'all' (one line: \"ruralsim[NAME]\",)"
    assert "ruralsim[all]" in extras["test"]
    copied = {r for name in others for r in extras[name]} & set(extras["test"])
    assert not copied, f"test repeats other extras' requirements: {sorted(copied)}"


def test_the_sdist_carries_what_its_tests_read():
    """MANIFEST.in takes into the sdist every folder the tests read (fixtures and baselines
    under tests/), the documents and the scenarios (a link in a checkout, a copy in the sdist)."""
    lines = [ln.split() for ln in (ROOT / "MANIFEST.in").read_text(encoding="utf-8").splitlines()
             if ln.strip() and not ln.startswith("#")]
    grafted = {ln[1] for ln in lines if ln[0] == "graft"}
    included = {f for ln in lines if ln[0] == "include" for f in ln[1:]}
    assert {"tests", "docs", "notebooks", "scenarios", "benchmarks"} <= grafted
    assert {"CHANGELOG.md", "CITATION.cff", "README.md", "LICENSE"} <= included
    assert (ROOT / "tests" / "fixtures").is_dir() and (ROOT / "tests" / "baselines").is_dir()

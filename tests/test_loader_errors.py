"""Scenario loading: one broken fixture per failure mode, each with a clear message that
names the file, the key path and the line, and exit code 2 from the CLI (no traceback)."""
from pathlib import Path

import pytest

import ruralsim
from ruralsim.cli import main
from ruralsim.scenario.yamlio import read_yaml_text

BAD = Path(__file__).parent / "fixtures" / "bad"

# fixture, file the error must name, key path, line, words in the message
CASES = [
    ("yaml_syntax.yaml", "yaml_syntax.yaml", "", 3, "YAML syntax"),
    ("duplicate_key.yaml", "duplicate_key.yaml", "run.seed", 4, "duplicate key"),
    ("unknown_top_key.yaml", "unknown_top_key.yaml", "horizon", 2, "unknown key 'horizon'"),
    ("unknown_nested_key.yaml", "unknown_nested_key.yaml", "behaviour.b_socail", 3, "allowed: "),
    ("wrong_type.yaml", "wrong_type.yaml", "run.horizon_months", 3, "valid integer"),
    ("bool_for_number.yaml", "bool_for_number.yaml", "run.horizon_months", 3, "valid integer"),
    ("negative_money.yaml", "negative_money.yaml", "government.opening_cash_cny", 3,
     "greater than or equal to 0"),
    ("shares_not_one.yaml", "shares_not_one.yaml", "household_types", 2, "sum to 0.9"),
    ("unknown_community.yaml", "unknown_community.yaml", "villages.1.community", 5,
     "unknown community 'Nowhere'"),
    ("unknown_type_in_priority.yaml", "unknown_type_in_priority.yaml", "strategy.priority.1", 3,
     "unknown household type 'rich'"),
    ("empty_villages.yaml", "empty_villages.yaml", "villages", 3, "no villages"),
    ("missing_villages.yaml", "missing_villages.yaml", "villages", None, "required"),
    ("python_tag.yaml", "python_tag.yaml", "name", 2, "tag"),
    ("nan_value.yaml", "nan_value.yaml", "behaviour.b_social_moved", 3, "finite number"),
    ("infinite_value.yaml", "infinite_value.yaml", "government.opening_cash_cny", 3,
     "finite number"),
    ("triangular_order.yaml", "triangular_order.yaml", "communities.0.phases.0.build_months", 6,
     "low <= mode <= high"),
    ("csv_bad_number.yaml", "bad_villages.csv", "villages.1.households", 3, "valid integer"),
    ("csv_outside_folder.yaml", "csv_outside_folder.yaml", "villages.file", None,
     "outside the scenario's folder"),
    ("huge_households.yaml", "huge_households.yaml", "villages.0.households", 3,
     "less than or equal to 10000000"),
    ("memory_exhausting.yaml", "memory_exhausting.yaml", "villages", 2, "GiB of memory"),
    ("deep_nesting.yaml", "deep_nesting.yaml", "description.0.0*", 2, "nested deeper than"),
    ("not_utf8.yaml", "not_utf8.yaml", "", 1, "not UTF-8"),
    ("share_out_of_range.yaml", "share_out_of_range.yaml", "strategy.withdrawal.threshold_share",
     3, "less than or equal to 1"),
    ("zero_unit_phase.yaml", "zero_unit_phase.yaml", "communities.0.phases.0.units", 5,
     "at least one unit"),
    ("not_a_mapping.yaml", "not_a_mapping.yaml", "", 1, "must be a mapping"),
    ("merge_key.yaml", "merge_key.yaml", "run", 5, "merge keys ('<<') are not supported"),
    ("csv_duplicate_header.yaml", "duplicate_header.csv", "", 1,
     "columns 2 and 4 of the header are both named 'households'"),
    ("csv_not_utf8.yaml", "gbk_villages.csv", "", 2, "as UTF-8"),
    ("package_not_a_name.yaml", "package_not_a_name.yaml", "packages", 2,
     "neither a built-in package name nor a YAML file"),
    ("huge_integer.yaml", "huge_integer.yaml", "run.seed", 2, "too large"),
]


def test_every_fixture_has_a_case():
    yamls = {p.name for p in BAD.glob("*.yaml")}
    assert yamls == {c[0] for c in CASES}


@pytest.mark.parametrize("fixture,file,path,line,words", CASES, ids=[c[0] for c in CASES])
def test_broken_fixture_is_reported_precisely(fixture, file, path, line, words):
    with pytest.raises(ruralsim.ScenarioError) as e:
        ruralsim.load_scenario(BAD / fixture)
    def at(p: str) -> bool:   # a trailing * matches a prefix of the key path
        return p.startswith(path[:-1]) if path.endswith("*") else p == path

    hits = [i for i in e.value.issues if at(i.path) and words in i.message]
    assert hits, f"no issue at {path!r} with {words!r}: {e.value}"
    issue = hits[0]
    assert Path(issue.file).name == file
    if line is not None:
        assert issue.line == line


@pytest.mark.parametrize("fixture", [c[0] for c in CASES])
def test_cli_validate_exits_2_with_the_message_and_no_traceback(fixture, capsys):
    assert main(["validate", str(BAD / fixture)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    case = next(c for c in CASES if c[0] == fixture)
    assert case[4] in err and case[1] in err


def test_all_problems_are_reported_at_once(tmp_path):
    f = tmp_path / "many.yaml"
    f.write_text("extends: " + str(BAD.parent / "minimal.yaml") + "\n"
                 "run: {horizon_months: -1, start_month: 13}\n"
                 "government: {opening_cash_cny: -5}\n", encoding="utf-8")
    with pytest.raises(ruralsim.ScenarioError) as e:
        ruralsim.load_scenario(f)
    paths = {i.path for i in e.value.issues}
    assert {"run.horizon_months", "run.start_month", "government.opening_cash_cny"} <= paths


def test_set_errors_name_the_override(capsys):
    assert main(["validate", "scenarios/teaching.yaml", "--set", "run.horizon_months=abc"]) == 2
    err = capsys.readouterr().err
    assert "--set run.horizon_months=abc" in err and "run.horizon_months" in err
    assert main(["validate", "scenarios/teaching.yaml", "--set", "nonexistent.key=1"]) == 2
    assert "unknown key 'nonexistent'" in capsys.readouterr().err
    assert main(["validate", "scenarios/teaching.yaml", "--set", "run.seed"]) == 2
    assert "key.path=value" in capsys.readouterr().err
    assert main(["validate", "scenarios/teaching.yaml", "--set", "villages.99.name=x"]) == 2
    assert "no such list index" in capsys.readouterr().err
    assert main(["validate", "scenarios/teaching.yaml", "--set", "run.horizon_months=24"]) == 0


def test_yaml_surprises_are_handled():
    d = read_yaml_text("a: 1e3\nb: 010\nc: no\nd: yes\ne: on\nf: true\ng: 0x10\nh: 1_000\n", "t")
    assert d.data == {"a": 1000.0, "b": 10, "c": "no", "d": "yes", "e": "on", "f": True,
                      "g": 16, "h": 1000}
    assert isinstance(d.data["a"], float)


def test_missing_file_and_directory(tmp_path):
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert main(["validate", str(tmp_path)]) == 2


def test_alias_bombs_are_refused(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    f = tmp_path / "bomb.yaml"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ruralsim.ScenarioError, match="YAML nodes"):
        ruralsim.load_scenario(f)


# ---------------------------------------------------------------- issue 18: references
SECRET = "root:$6$s3cretHashThatMustNotLeak:19000:0:99999:7:::\nDB_PASSWORD: hunter2\n"


def _secret_file(tmp_path):
    d = tmp_path / "elsewhere"
    d.mkdir()
    f = d / "shadow"
    f.write_text(SECRET, encoding="utf-8")
    return f


def _refused_without_leak(call, capsys=None):
    with pytest.raises(ruralsim.ScenarioError) as info:
        call()
    text = str(info.value)
    assert "s3cret" not in text and "hunter2" not in text and "DB_PASSWORD" not in text
    return text


def test_a_package_that_links_outside_its_folder_is_refused(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    (work / "p.yaml").symlink_to(_secret_file(tmp_path))
    monkeypatch.chdir(work)
    text = _refused_without_leak(lambda: ruralsim.load_scenario("teaching", packages=["p.yaml"]))
    assert "symbolic link" in text


def test_extends_and_scenario_packages_that_link_outside_are_refused(tmp_path):
    secret = _secret_file(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    (work / "base.yaml").symlink_to(secret)
    (work / "pkg.yaml").symlink_to(secret)
    (work / "a.yaml").write_text("extends: base.yaml\n", encoding="utf-8")
    (work / "b.yaml").write_text(f"extends: {ruralsim.scenario.builtin_path('teaching')}\n"
                                 "packages: [pkg.yaml]\n", encoding="utf-8")
    for f in ("a.yaml", "b.yaml"):
        assert "symbolic link" in _refused_without_leak(lambda: ruralsim.load_scenario(work / f))


def test_a_variant_package_that_links_outside_is_refused(tmp_path, monkeypatch):
    from ruralsim.experiments.replicate import build_scenarios

    work = tmp_path / "work"
    work.mkdir()
    (work / "v.yaml").symlink_to(_secret_file(tmp_path))
    monkeypatch.chdir(work)
    _refused_without_leak(lambda: build_scenarios(["teaching"], variants=["v: +v.yaml"]))


def test_a_file_that_is_not_a_package_is_not_quoted(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "copy.yaml").write_text(SECRET, encoding="utf-8")   # a copy, not a link
    text = _refused_without_leak(lambda: ruralsim.load_scenario("teaching",
                                                                packages=["copy.yaml"]))
    assert "not a ruralsim package" in text


def test_unknown_keys_are_quoted_as_short_escaped_excerpts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    quoted = '"' + "x" * 200 + '\\e[31m"'   # YAML escape \e: the ESC character
    (tmp_path / "k.yaml").write_text("name: k\n" + quoted + ": 1\ninstruments: []\n",
                                     encoding="utf-8")
    with pytest.raises(ruralsim.ScenarioError) as info:
        ruralsim.load_scenario("teaching", packages=["k.yaml"])
    text = str(info.value)
    assert "x" * 30 not in text and "\x1b" not in text and "unknown key" in text


@pytest.mark.parametrize("body", ["", "name: empty\n", "name: e\ninstruments: []\n"])
def test_an_empty_package_is_refused(tmp_path, monkeypatch, body, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.yaml").write_text(body, encoding="utf-8")
    assert main(["validate", "teaching", "--package", "e.yaml"]) == 2
    err = capsys.readouterr().err
    assert "instruments, events, awards" in err and "Traceback" not in err


def test_a_link_inside_the_folder_and_a_plain_path_outside_are_read(tmp_path, monkeypatch):
    pkg = ruralsim.scenario.load.BUILTIN_DIR / "packages" / "awards.yaml"
    work = tmp_path / "work"
    work.mkdir()
    (work / "real.yaml").write_text(pkg.read_text(encoding="utf-8"), encoding="utf-8")
    (work / "alias.yaml").symlink_to(work / "real.yaml")
    (tmp_path / "up.yaml").write_text(pkg.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.chdir(work)
    assert ruralsim.load_scenario("teaching", packages=["alias.yaml"]).model
    assert ruralsim.load_scenario("teaching", packages=["../up.yaml"]).model


def test_a_path_through_a_linked_folder_is_read_but_a_linked_file_is_not(tmp_path):
    """A checkout's scenarios/ is a link to src/ruralsim/scenarios: a path written through a
    linked folder names its file; a file that is itself a link outside is refused."""
    pkg = ruralsim.scenario.load.BUILTIN_DIR / "packages" / "awards.yaml"
    other = tmp_path / "other"
    other.mkdir()
    (other / "pkg.yaml").write_text(pkg.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "linked").symlink_to(other)
    work = tmp_path / "work"
    work.mkdir()
    (work / "s.yaml").write_text("extends: teaching\npackages: ["
                                 f"{tmp_path / 'linked' / 'pkg.yaml'}]\n", encoding="utf-8")
    assert ruralsim.load_scenario(work / "s.yaml").model
    (work / "p.yaml").symlink_to(other / "pkg.yaml")
    (work / "t.yaml").write_text("extends: teaching\npackages: [p.yaml]\n", encoding="utf-8")
    (work / "u.yaml").write_text(f"extends: teaching\npackages: [{work / 'p.yaml'}]\n",
                                 encoding="utf-8")
    for name in ("t.yaml", "u.yaml"):   # the file is a link leading outside, however named
        with pytest.raises(ruralsim.ScenarioError, match="symbolic link"):
            ruralsim.load_scenario(work / name)


# ---------------------------------------------------------------- issue 18: API types
@pytest.mark.parametrize("call", [
    lambda: ruralsim.load_scenario("teaching", overrides="run.horizon_months=12"),
    lambda: ruralsim.load_scenario("teaching", packages="awards"),
    lambda: ruralsim.load_scenario("teaching", packages=[5]),
    lambda: ruralsim.simulate("teaching", overrides="run.horizon_months=12"),
    lambda: ruralsim.compare(["teaching"], reps=2, packages="awards"),
    lambda: ruralsim.decompose("teaching", reps=True),
    lambda: ruralsim.decompose("teaching", factors="targeting", reps=2),
])
def test_a_wrong_argument_type_is_a_type_error_naming_the_argument(call):
    with pytest.raises(TypeError) as info:
        call()
    assert isinstance(info.value, ruralsim.UsageError)
    assert any(n in str(info.value) for n in ("overrides", "packages", "reps", "factors"))


# ---------------------------------------------------------------- issue 18: house age
def test_house_ages_beyond_the_bound_are_refused_with_a_message():
    with pytest.raises(ruralsim.ScenarioError) as info:
        ruralsim.load_scenario("teaching", ["household_types.poor.house_age_years.high=80"])
    text = str(info.value)
    assert "house_age_years" in text and "50" in text


# ---------------------------------------------------------------- every problem, both languages

def _problems(tmp_path, text: str) -> list:
    (tmp_path / "s.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ruralsim.ScenarioError) as e:
        ruralsim.load_scenario(tmp_path / "s.yaml")
    return e.value.issues


MINIMAL = (Path(__file__).parent / "fixtures" / "minimal.yaml").as_posix()


def test_an_unknown_package_does_not_hide_other_problems(tmp_path):
    issues = _problems(tmp_path, f"extends: {MINIMAL}\npackages: [no_such_package]\n"
                                 "run: {horizon_months: 150户}\n")
    paths = [i.path for i in issues]
    assert paths == ["packages", "run.horizon_months"]
    assert "未知的政策包" in issues[0].message
    assert "got str '150户'" in issues[1].message and "应为整数" in issues[1].message


def test_a_bad_csv_cell_is_one_problem_in_both_languages():
    with pytest.raises(ruralsim.ScenarioError) as e:
        ruralsim.load_scenario(BAD / "csv_bad_number.yaml")
    assert len(e.value.issues) == 1
    assert "valid integer" in e.value.issues[0].message and "应为整数" in e.value.issues[0].message


@pytest.mark.parametrize("fixture,zh", [
    ("unknown_community.yaml", "未知的社区“Nowhere”"),
    ("unknown_type_in_priority.yaml", "未知的农户类型“rich”"),
    ("wrong_type.yaml", "应为整数"),
    ("negative_money.yaml", "须大于或等于0"),
    ("share_out_of_range.yaml", "须小于或等于1"),
    ("zero_unit_phase.yaml", "每期至少建设一套住房"),
])
def test_messages_are_in_chinese_too(fixture, zh):
    with pytest.raises(ruralsim.ScenarioError) as e:
        ruralsim.load_scenario(BAD / fixture)
    assert any(zh in i.message for i in e.value.issues), [str(i) for i in e.value.issues]


def test_cli_reports_every_problem_at_once(tmp_path, capsys):
    (tmp_path / "s.yaml").write_text(f"extends: {MINIMAL}\npackages: [nope]\n"
                                     "run: {horizon_months: x}\n", encoding="utf-8")
    assert main(["validate", str(tmp_path / "s.yaml")]) == 2
    err = capsys.readouterr().err
    assert "(2 problems)" in err and "nope" in err and "horizon_months" in err
    assert "Traceback" not in err

"""The one way in for files: bounded, strict, and every failure one located line.

Driven through the reader's public functions (load_yaml, load_json, parse_yaml, parse_json,
finite_number), which every file the project reads goes through.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from finops_core import reading, strict_yaml
from finops_core.reading import (
    ConfigError,
    finite_number,
    load_json,
    load_yaml,
    parse_finite_number,
    parse_json,
    parse_yaml,
)

BILLION_LAUGHS = "".join(
    [f"l0: &l0 [{', '.join(['lol'] * 9)}]\n"]
    + [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10)]
)


HAS_LIBYAML = strict_yaml._LOADER is not strict_yaml._StrictLoader
LOADERS = ["libyaml-scanned", "pure-python"] if HAS_LIBYAML else ["pure-python"]


@pytest.fixture(autouse=True, params=LOADERS)
def yaml_loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test here runs with each strict loader this PyYAML has: libyaml scans when PyYAML was
    built with it, the pure-Python loader reads otherwise; both must refuse and accept alike."""
    if request.param == "pure-python":
        monkeypatch.setattr(strict_yaml, "_LOADER", strict_yaml._StrictLoader)
    return str(request.param)


def test_both_loaders_read_the_packaged_yaml_files_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    data = Path(reading.__file__).parent / "data"
    files = sorted(data.rglob("*.yaml"))
    assert len(files) > 10
    for path in files:
        fast = load_yaml(path)
        monkeypatch.setattr(strict_yaml, "_LOADER", strict_yaml._StrictLoader)
        slow = load_yaml(path)
        monkeypatch.undo()
        assert (fast.data, fast.lines) == (slow.data, slow.lines), path


def refused(text: str, name: str = "f.yaml") -> str:
    """The one-line message parsing ``text`` gives (YAML or JSON by the file name)."""
    parse = parse_json if name.endswith(".json") else parse_yaml
    with pytest.raises(ConfigError) as caught:
        parse(text, name)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(name), message
    return message


# --- bounded -------------------------------------------------------------------------------

def test_billion_laughs_is_refused_fast_with_the_line() -> None:
    started = time.perf_counter()
    message = refused(BILLION_LAUGHS)
    assert time.perf_counter() - started < 1.0
    assert "values once aliases are expanded" in message and message.startswith("f.yaml:")


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {<<: *a}\n", "a: &a {b: [1, *a]}\n"])
def test_recursive_alias_is_refused(text: str) -> None:
    assert "refers to itself" in refused(text)


def test_aliases_within_bounds_still_work() -> None:
    doc = parse_yaml("base: &b {cpu: 2, memory: 4}\ndev: {<<: *b, cpu: 1}\nprod: *b\n", "f.yaml")
    assert doc.data == {"base": {"cpu": 2, "memory": 4}, "dev": {"cpu": 1, "memory": 4},
                        "prod": {"cpu": 2, "memory": 4}}


@pytest.mark.parametrize("text", ["[" * 5000 + "]" * 5000, "a:\n" + "".join("  " * i + "- \n" for i in range(1, 100)),
                                  "a: &a " + "[" * 40 + "]" * 40 + "\nb: " + "[" * 40 + "*a" + "]" * 40 + "\n"])
def test_deep_yaml_nesting_is_refused(text: str) -> None:
    assert "nested deeper than" in refused(text)


def test_deep_json_nesting_is_refused_not_a_recursion_error() -> None:
    assert "nested" in refused("[" * 100_000 + "]" * 100_000, "f.json")
    assert "nested deeper than" in refused('{"a": ' + "[" * 80 + "]" * 80 + "}", "f.json")


def test_a_file_too_large_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with open(path, "wb") as handle:
        handle.truncate(64 * 1024 * 1024)
    with pytest.raises(ConfigError, match=r"big.yaml: found <67108864 bytes>; expected a YAML file of at most"):
        load_yaml(path)


def test_a_device_never_hangs_the_reader() -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero on this system")
    with pytest.raises(ConfigError, match=r"/dev/zero: found <not a regular file>"):
        load_yaml("/dev/zero")


# --- strict --------------------------------------------------------------------------------

def test_duplicate_yaml_key_names_the_key_and_the_second_line() -> None:
    assert refused("teams:\n  backend: 1\n  frontend: 2\n  backend: 3\n") == (
        "f.yaml:4: teams.backend: found <the same key a second time>; "
        "expected each key once per mapping (Pulumi refuses duplicate keys too)")


def test_duplicate_json_key_names_the_object() -> None:
    assert refused('{"resources": [{"urn": "a", "urn": "b"}]}', "f.json") == (
        "f.json:1: resources[0]: found <the key 'urn' twice>; expected each key once per object")


@pytest.mark.parametrize(("text", "found"), [
    ("monthlyLimit: .nan\n", "<.nan>"), ("monthlyLimit: .NaN\n", "<.NaN>"), ("a: {b: [1, -.inf]}\n", "<-.inf>"),
    ("a: 1.0e+999\n", "<1.0e+999>"), ("a: !!float .inf\n", "<.inf>"),
])
def test_yaml_nan_and_infinity_are_refused_with_key_and_line(text: str, found: str) -> None:
    message = refused(text)
    assert f"found {found}; expected a finite number" in message and message.startswith("f.yaml:1: ")


def test_nan_as_a_budget_limit_names_file_key_and_line() -> None:
    assert refused("currency: USD\nmonthlyLimit: .nan\n", "budgets/dev.yaml") == (
        "budgets/dev.yaml:2: monthlyLimit: found <.nan>; expected a finite number (NaN and infinities are not allowed)")


@pytest.mark.parametrize(("text", "found"), [
    ('{"a": NaN}', "a: found <NaN>"), ('{"a": [-Infinity]}', "a[0]: found <-Infinity>"),
    ('{"a": 1e999}', "a: found <the number 1e999, too large>"),
])
def test_json_nan_and_infinity_are_refused_with_the_key(text: str, found: str) -> None:
    assert f"f.json:1: {found}; expected a finite number" in refused(text, "f.json")


def test_plain_words_like_nan_stay_text() -> None:
    # YAML 1.1 reads only .nan/.inf as numbers; a tag value "nan" is a string and is fine.
    assert parse_yaml("Owner: nan\nname: inf\n", "f.yaml").data == {"Owner": "nan", "name": "inf"}


@pytest.mark.parametrize(("text", "message"), [
    ("expires: 2026-02-30\n", "f.yaml:1: expires: found <2026-02-30>; expected a valid timestamp"),
    ("a:\n  n: " + "9" * 5000 + "\n", "f.yaml:2: a.n: found <a number of 5000 digits>; expected a finite number"),
    ("limit: !!float six-hundred\n", "f.yaml:1: limit: found <six-hundred>; expected a valid float"),
    ("limit: !!int lots\n", "f.yaml:1: limit: found <lots>; expected a valid int"),
    ("a: [1, !!timestamp 2026-13-01]\n", "f.yaml:1: a[1]: found <2026-13-01>; expected a valid timestamp"),
    ("a: !!python/object:os.system x\n", "f.yaml:1: found <malformed YAML: could not determine a constructor"),
    ("a: \x00\n", "f.yaml:1: found <malformed YAML: unacceptable character #x0000"),
    ("a: 1\n---\nb: 2\n", "f.yaml:2: found <malformed YAML: expected a single document"),
])
def test_values_pyyaml_cannot_build_are_one_line(text: str, message: str) -> None:
    assert refused(text).startswith(message)


def test_huge_json_integer_is_refused() -> None:
    assert "a: found <a number of 5000 digits>" in refused('{"a": ' + "7" * 5000 + "}", "f.json")


def test_a_lone_surrogate_escape_in_yaml_is_one_line() -> None:
    # libyaml refuses the escape as it scans; the pure-Python reader when it builds the string.
    message = refused('a: "\\ud800"\n')
    assert message.startswith("f.yaml:1: ") and ("surrogate" in message or "escape" in message), message


def test_lone_surrogate_in_json_is_refused() -> None:
    assert "a: found '\\ud800'" in refused('{"a": "\\ud800"}', "f.json")


def test_json_refusals_and_later_messages_name_the_line() -> None:
    assert refused('{\n  "a": 1,\n  "b": [1,\n    NaN]\n}', "f.json").startswith("f.json:4: b[1]: found <NaN>")
    doc = parse_json('{\n "resources": [\n  {"urn": "u",\n   "monthlyUsd": "12"}]}', "base.json")
    assert str(doc.error(("resources", 0, "monthlyUsd"), "12", "a number")) == (
        "base.json:4: resources[0].monthlyUsd: found '12'; expected a number")
    assert doc.line(("resources", 0, "name")) == 3  # a missing key: the line of its object


def test_malformed_json_names_the_line() -> None:
    assert refused('{\n  "a": 1,\n  oops\n}', "f.json").startswith("f.json:3: found <malformed JSON")


# --- files ---------------------------------------------------------------------------------

@pytest.mark.parametrize("load", [load_yaml, load_json])
def test_a_directory_is_refused(tmp_path: Path, load: object) -> None:
    with pytest.raises(ConfigError, match=r"found <a directory>; expected a (YAML|JSON) file$"):
        load(tmp_path)  # type: ignore[operator]


@pytest.mark.parametrize("load", [load_yaml, load_json])
def test_a_missing_file_is_refused(tmp_path: Path, load: object) -> None:
    with pytest.raises(ConfigError, match=r"none: found <no such file>; expected an existing (YAML|JSON) file$"):
        load(tmp_path / "none")  # type: ignore[operator]


def test_bytes_that_are_not_utf8_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(ConfigError) as caught:
        load_yaml(path)
    assert str(caught.value) == f"{path}:2: found <a byte that is not UTF-8: 0xe9>; expected a UTF-8 YAML file"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "secret.yaml"
    path.write_text("a: 1\n")
    path.chmod(0)
    with pytest.raises(ConfigError, match="unreadable"):
        load_yaml(path)


def test_good_files_still_read_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text("a:\n  b: [1, 2.5]\n  c: 2099-01-31\n")
    doc = load_yaml(path)
    assert doc.data["a"]["b"] == [1, 2.5] and doc.line(("a", "c")) == 3
    json_path = tmp_path / "ok.json"
    json_path.write_text('{"resources": [{"urn": "u", "monthlyUsd": 1.5}]}')
    assert load_json(json_path).data == {"resources": [{"urn": "u", "monthlyUsd": 1.5}]}


# --- messages and numbers ------------------------------------------------------------------

def test_a_message_is_one_short_line_whatever_the_value() -> None:
    error = ConfigError("f.yaml", "a\nb", "x\n" * 10_000, "a value\nthat is short", 3)
    assert "\n" not in str(error) and len(str(error)) < 400
    assert len(str(ConfigError("f.yaml", "k", {str(i): i for i in range(50_000)}, "a map"))) < 400


def test_finite_number_refuses_nan_infinity_bool_and_text() -> None:
    assert finite_number(3, "--max-increase-usd") == 3.0
    for bad in (float("nan"), float("inf"), -float("inf"), True, "5", None, 10**400):
        with pytest.raises(ConfigError, match=r"^--max-increase-usd: found .*; expected a finite number$"):
            finite_number(bad, "--max-increase-usd")


def test_parse_finite_number_reads_text() -> None:
    assert parse_finite_number(" 12.5 ", "--max-increase-usd") == 12.5
    for bad in ("nan", "inf", "-Infinity", "twelve", ""):
        with pytest.raises(ConfigError, match="--max-increase-usd: found"):
            parse_finite_number(bad, "--max-increase-usd")


def test_document_number_names_file_key_and_line() -> None:
    doc = parse_yaml("resources:\n  x:\n    monthlyUsd: lots\n", "usage.yaml")
    with pytest.raises(ConfigError) as caught:
        doc.number(("resources", "x", "monthlyUsd"), doc.data["resources"]["x"]["monthlyUsd"])
    assert str(caught.value) == "usage.yaml:3: resources.x.monthlyUsd: found 'lots'; expected a finite number"

"""The library's shipped YAML is read fast (libyaml) but judged by the strict reader: both read
every shipped file alike, and a shipped file that is wrong gets the strict reader's located message."""

from __future__ import annotations

from pathlib import Path

import pytest
from finops_core import kinds, library_data
from finops_core.data import DATA_DIR
from finops_core.reading import ConfigError, load_yaml, require_mapping


def test_every_shipped_yaml_file_reads_alike_both_ways() -> None:
    files = sorted(DATA_DIR.rglob("*.yaml"))
    assert len(files) > 10
    for path in files:
        fast = library_data.read_library_yaml(path, lambda doc: doc.data)
        assert fast == load_yaml(path).data, path


def test_a_duplicate_key_in_a_shipped_file_is_the_strict_readers_refusal(tmp_path: Path) -> None:
    # libyaml alone would keep the second value: the strict reader is what finds it.
    path = tmp_path / "rows.yaml"
    path.write_text("a: 1\nb: 2\na: 3\n")
    assert library_data.read_library_yaml(path, lambda doc: doc.data) == {"a": 3, "b": 2}
    with pytest.raises(ConfigError) as caught:
        load_yaml(path)
    assert "rows.yaml:3" in str(caught.value) and "duplicate" in str(caught.value).lower()


def test_a_row_its_parser_refuses_is_reported_with_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "broken.yaml").write_text(
        "aws:ec2/instance:Instance:\n  instanceType: instanceType\n  sizes:\n    - {path: instanceType, as: bogus}\n")
    monkeypatch.setattr(kinds, "KINDS_DIR", tmp_path)
    kinds.kinds_table.cache_clear()
    try:
        with pytest.raises(ConfigError) as caught:
            kinds.kinds_table()
    finally:
        kinds.kinds_table.cache_clear()
    message = str(caught.value)
    assert message.startswith(f"{tmp_path / 'broken.yaml'}:"), message  # located: file and line
    assert message.split(":")[1].strip().isdigit(), message


def test_a_file_libyaml_cannot_read_falls_back_to_the_strict_message(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("a: [1, 2\nb: 3\n")
    with pytest.raises(ConfigError) as caught:
        library_data.read_library_yaml(path, lambda doc: require_mapping(doc, doc.data, ()))
    assert str(caught.value).startswith(str(path)), caught.value

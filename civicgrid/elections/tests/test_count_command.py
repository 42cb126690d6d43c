"""`manage.py count_election`: one JSON line on stdout, a CommandError naming the field (and
nothing on stdout) for a bad file, the reason in the language asked for."""

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from civicgrid.elections import counting

TALLY = {
    "method": "direct",
    "round": 1,
    "registered": 1300,
    "ballots_cast": 980,
    "invalid_ballots": 12,
    "seats": 5,
    "votes": {"张三": 700, "李四": 650, "王五": 500, "赵六": 491, "钱七": 480, "孙八": 300, "周九": 10},
}


def write(tmp_path: Path, data: Any) -> str:
    path = tmp_path / "tally.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("count_election", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def refused(*args: str) -> str:
    out = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("count_election", *args, stdout=out, stderr=io.StringIO())
    assert out.getvalue() == ""
    assert error.value.returncode == 1
    return str(error.value)


def test_prints_one_json_line(tmp_path):
    output = run(write(tmp_path, TALLY))
    assert output.endswith("\n")
    assert output.count("\n") == 1
    assert "张三" in output  # not \u escapes
    assert json.loads(output) == {
        "valid": True,
        "turnout": 0.7538,  # 980 / 1300
        "elected": ["张三", "李四", "王五", "赵六"],
        "vacancies": 1,
        "second_round": ["钱七", "孙八"],
        "reason": "参加投票 980 人，超过登记选民 1300 人的半数，选举有效；"
        "张三（700 票）、李四（650 票）、王五（500 票）、赵六（491 票）得票超过投票数 980 的半数，当选；"
        "尚缺 1 名，由未当选的得票较多者钱七、孙八参加另行选举",
    }


def test_rules_and_issued_ballots_from_the_file(tmp_path):
    data = {**TALLY, "rules": {"contest_margin": 2}}
    assert json.loads(run(write(tmp_path, data)))["second_round"] == ["钱七", "孙八", "周九"]
    data = {**TALLY, "ballots_issued": 979}
    result = json.loads(run(write(tmp_path, data)))
    assert result["valid"] is False
    assert result["elected"] == []
    assert result["vacancies"] == 5
    assert result["reason"] == "收回选票 980 张，多于发出选票 979 张，选举无效"


def test_reads_stdin(monkeypatch):
    data = {**TALLY, "round": 2, "seats": 1, "votes": {"钱七": 327, "孙八": 326}}
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(data)))
    result = json.loads(run("-"))
    assert result["elected"] == ["钱七"]  # 327 ≥ 980 / 3
    assert result["vacancies"] == 0


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ('{"method": "direct",', "不是有效的 JSON"),
        ("[1, 2]", "tally"),
        (json.dumps({**TALLY, "ballots_cast": 1301}), "ballots_cast"),
        (json.dumps({**TALLY, "seat": 5}), "seat"),
        (json.dumps({**TALLY, "rules": {"turnout_quorum": "2"}}), "rules.turnout_quorum"),
        (json.dumps({**TALLY, "votes": {"张三": 981}}), "votes.张三"),
        # A name twice in the file would silently lose votes.
        ('{"votes": {"张三": 1, "张三": 2}}', "张三"),
        ("9" * 5000, "不是有效的 JSON"),  # longer than int() reads
        ("[" * 100_000, "不是有效的 JSON"),
    ],
)
def test_a_bad_file_names_the_field_and_prints_nothing(tmp_path, content, named):
    assert named in refused(write(tmp_path, content))


def test_a_missing_or_undecodable_file(tmp_path):
    assert "无法读取" in refused(str(tmp_path / "absent.json"))
    path = tmp_path / "gbk.json"
    path.write_bytes(json.dumps(TALLY, ensure_ascii=False).encode("gb18030"))
    assert "无法读取" in refused(str(path))


def test_lang_switches_the_reason(tmp_path, monkeypatch):
    path = write(tmp_path, TALLY)
    with translation.override("en"):
        expected = counting.count(*counting.tally_from_json(TALLY)).reason
    assert json.loads(run(path, "--lang", "en"))["reason"] == expected
    # The reason is built while the language asked for is active (whatever the catalogue holds).
    monkeypatch.setattr(counting, "_", lambda text: f"[{translation.get_language()}]{text}")
    assert json.loads(run(path, "--lang", "en"))["reason"].startswith("[en]参加投票 980 人")
    assert json.loads(run(path))["reason"].startswith("[zh-hans]参加投票 980 人")
    assert "--lang" in refused(path, "--lang", "fr")

"""The English catalogue: the case UI and the public report pages really switch to English,
and the catalogue itself has no untranslated or fuzzy entry (those would silently show
Chinese to English users)."""

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from civicgrid.cases.tests.factories import advance, make_case

PO_FILE = Path(settings.BASE_DIR) / "civicgrid" / "locale" / "en" / "LC_MESSAGES" / "django.po"


@pytest.fixture(autouse=True)
def _clear_cache():
    # The public report form throttles through the cache; start every test from zero.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def english_dispatcher(world, client):
    client.force_login(world.user("east", "dispatcher"))
    client.cookies["django_language"] = "en"
    return client


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def assert_english(html: str, present: list[str], absent: list[str]) -> None:
    assert '<html lang="en">' in html
    for text in present:
        assert text in html, text
    for text in absent:
        assert text not in html, text


@pytest.mark.django_db
def test_workbench_in_english(world, english_dispatcher):
    case = make_case(world)
    html = page(english_dispatcher, "/cases/")
    assert case.number in html  # the queue's table is rendered, headers included
    assert_english(
        html,
        present=["Case workbench", "Case queue", "Case number", "All statuses"],
        absent=["工单工作台", "工单队列", "工单编号", "全部状态"],
    )


@pytest.mark.django_db
def test_case_page_in_english(world, english_dispatcher):
    case = make_case(world)
    html = page(english_dispatcher, case.get_absolute_url())
    assert case.number in html
    assert_english(
        html,
        present=["Deadlines", "Handling deadline", "History", "Problem category", "Request type"],
        absent=["办理过程", "派遣单位", "处置时限", "问题分类"],
    )


@pytest.mark.django_db
def test_choice_labels_in_english(world, english_dispatcher):
    # Status badges and action buttons come from the TextChoices labels (lazy translations),
    # not from the templates, so they need their own check.
    new = make_case(world)
    filed = advance(world, make_case(world), "filed")
    html = page(english_dispatcher, "/cases/?queue=all")
    assert filed.number in html and new.number in html
    assert_english(
        html,
        present=['status-info">To receive</span>', 'status-info">Filed</span>', "12345 hotline"],
        absent=["待受理", "已立案", "12345热线"],
    )
    html = page(english_dispatcher, new.get_absolute_url())
    assert_english(
        html,
        present=["<summary>File</summary>", ">Decline to file</button>"],
        absent=["<summary>立案</summary>", "不予立案"],
    )
    html = page(english_dispatcher, filed.get_absolute_url())
    assert_english(
        html, present=["<summary>Dispatch</summary>"], absent=["<summary>派遣</summary>", "已立案"]
    )


@pytest.mark.django_db
def test_metrics_page_in_english(world, english_dispatcher):
    make_case(world)
    html = page(english_dispatcher, "/cases/metrics/")
    assert_english(
        html,
        present=["Performance", "Total cases", "Group by", "Received from"],
        absent=["办理成效", "工单总数", "受理日期从", "这段时间没有工单"],
    )


@pytest.mark.django_db
def test_public_report_page_in_english(world, client):
    client.cookies["django_language"] = "en"
    html = page(client, "/report/")
    assert_english(
        html,
        present=["Report a problem", "Track a report", "Contact details", "Mobile number"],
        absent=["反映问题", "查询办理进度", "联系方式", "手机号码"],
    )


@pytest.mark.django_db
def test_without_the_cookie_the_ui_stays_chinese(world, client):
    client.force_login(world.user("east", "dispatcher"))
    html = page(client, "/cases/")
    assert "工单工作台" in html
    assert "Case workbench" not in html


def po_entries(text: str) -> list[str]:
    return [block for block in re.split(r"\n\s*\n", text.strip()) if block.strip()]


def catalogue_problems(text: str) -> tuple[list[str], list[str]]:
    """(fuzzy entries, untranslated entries) of a .po text, header excluded."""
    messages = [e for e in po_entries(text)[1:] if not e.startswith("#~")]
    fuzzy = [e for e in messages if re.search(r"^#,.*\bfuzzy\b", e, re.MULTILINE)]
    # An empty msgstr / msgstr[n] with no continuation line: nothing translated.
    untranslated = [e for e in messages if re.search(r'^msgstr(\[\d+\])? ""$(?!\n")', e, re.MULTILINE)]
    return fuzzy, untranslated


def test_catalogue_has_no_untranslated_or_fuzzy_entry():
    text = PO_FILE.read_text(encoding="utf-8")
    header = po_entries(text)[0]
    assert 'msgid ""\nmsgstr ""\n"' in header
    assert len(po_entries(text)) > 300  # the case UI's strings are in, not just the foundation's
    fuzzy, untranslated = catalogue_problems(text)
    assert not fuzzy, fuzzy[:3]
    assert not untranslated, untranslated[:3]


def test_catalogue_check_catches_gaps():
    # The check above must fail on the two ways a string stays Chinese in English.
    text = PO_FILE.read_text(encoding="utf-8")
    assert 'msgstr "Case workbench"' in text
    emptied = text.replace('msgstr "Case workbench"', 'msgstr ""')
    assert len(catalogue_problems(emptied)[1]) == 1
    fuzzied = text.replace('msgid "工单工作台"', '#, fuzzy\nmsgid "工单工作台"')
    assert len(catalogue_problems(fuzzied)[0]) == 1
    header = 'msgid ""\nmsgstr ""\n"Language: en\\n"\n\n'
    plural = header + 'msgid "%(n)s 件"\nmsgid_plural "%(n)s 件"\nmsgstr[0] "%(n)s case"\nmsgstr[1] ""\n'
    assert len(catalogue_problems(plural)[1]) == 1
    wrapped = header + 'msgid "长句"\nmsgstr ""\n"A long "\n"sentence"\n'
    assert catalogue_problems(wrapped) == ([], [])


def po_translations(text: str) -> dict[tuple[str | None, str], str]:
    """(msgctxt, msgid) → msgstr of every singular entry (continuation lines joined), header
    excluded. The context is part of the key: "派遣" and pgettext("case action", "派遣") differ."""

    def field(name: str, entry: str) -> str | None:
        match = re.search(rf'^{re.escape(name)} (".*"(?:\n".*")*)', entry, re.MULTILINE)
        return "".join(ast.literal_eval(p) for p in match.group(1).split("\n")) if match else None

    pairs = {}
    for entry in po_entries(text)[1:]:
        msgid, msgstr = field("msgid", entry), field("msgstr", entry)
        if msgid and msgstr is not None and not entry.startswith("#~"):
            pairs[(field("msgctxt", entry), msgid)] = msgstr
    return pairs


def test_catalogue_is_compiled():
    # The .mo Django loads must hold every string of the .po as it stands (msgfmt /
    # compilemessages), not an older compile.
    with PO_FILE.with_suffix(".mo").open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    pairs = po_translations(PO_FILE.read_text(encoding="utf-8"))
    assert pairs[(None, "工单工作台")] == "Case workbench"
    assert pairs[("case action", "派遣")] == "Dispatch"

    def lookup(context: str | None, msgid: str) -> str:
        return compiled.pgettext(context, msgid) if context else compiled.gettext(msgid)

    stale = [key for key, msgstr in pairs.items() if lookup(*key) != msgstr]
    assert not stale, stale[:5]

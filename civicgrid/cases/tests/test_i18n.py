"""The English catalogue: the case UI, the public report pages, the API token and webhook
pages really switch to English; the catalogue itself has no untranslated or fuzzy entry and
holds every string the code translates (gaps would silently show Chinese to English users)."""

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from civicgrid.accounts import actions as accounts_actions
from civicgrid.cases.tests.factories import advance, make_case
from civicgrid.core.choices import Role
from civicgrid.webhooks import actions as webhook_actions

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


# Every string the code asks gettext for must be in the catalogue. The checks above only see
# the .po as it stands: a string added to the code without a makemessages run, one marked
# through an alias xgettext does not know (gettext_noop as noop), or a template literal
# xgettext reads differently from Django (an escaped quote) would show Chinese in English.
SOURCE = Path(settings.BASE_DIR) / "civicgrid"
# Django's translation functions → (position of the context argument, of the message id).
GETTEXT_ARGS: dict[str, tuple[int | None, int]] = {
    **dict.fromkeys(["gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy"], (None, 0)),
    **dict.fromkeys(["pgettext", "pgettext_lazy", "npgettext", "npgettext_lazy"], (0, 1)),
}
MsgKey = tuple[str | None, str]


def python_msgids(source: str) -> set[MsgKey]:
    """(context, msgid) of every gettext-family call with literal arguments, whatever the
    function is imported as (`_`, `noop`, `translation.gettext`)."""
    tree = ast.parse(source)
    functions: dict[str, str] = {}  # local name → Django function
    modules: set[str] = set()  # local names of django.utils.translation
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            functions |= {a.asname or a.name: a.name for a in node.names if a.name in GETTEXT_ARGS}
        elif isinstance(node, ast.ImportFrom) and node.module == "django.utils":
            modules |= {a.asname or a.name for a in node.names if a.name == "translation"}
    found = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name):
            name = functions.get(func.id)
        elif (
            isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in modules
        ):
            name = func.attr if func.attr in GETTEXT_ARGS else None
        else:
            name = None
        if name is None:
            continue
        ctx_at, msg_at = GETTEXT_ARGS[name]
        args = [
            a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None for a in node.args
        ]
        msgid = args[msg_at] if len(args) > msg_at else None
        context = args[ctx_at] if ctx_at is not None and len(args) > ctx_at else None
        if msgid is not None and (ctx_at is None or context is not None):
            found.add((context, msgid))
    return found


def template_msgids(source: str) -> set[MsgKey]:
    """(context, msgid) of every {% translate %} / {% blocktranslate %} and _("…") literal, as
    Django looks them up when it renders (its own parser, not xgettext's reading)."""
    from django.template import engines
    from django.templatetags.i18n import BlockTranslateNode, TranslateNode

    nodelist = engines["django"].engine.from_string(source).nodelist  # type: ignore[attr-defined]
    found = set()
    for node in nodelist.get_nodes_by_type(TranslateNode):
        literal = node.filter_expression.var.literal
        context = node.message_context.var if node.message_context else None
        if isinstance(literal, str):
            # Django doubles a literal's % before looking it up (template.base.Variable), and so
            # does makemessages: "最近 %(n)s 件" is the msgid "最近 %%(n)s 件".
            found.add((str(context) if context is not None else None, str(literal).replace("%", "%%")))
    for node in nodelist.get_nodes_by_type(BlockTranslateNode):
        context = node.message_context.var if node.message_context else None
        found.add((str(context) if context is not None else None, node.render_token_list(node.singular)[0]))
    for match in re.finditer(r"""\b_\((?:"([^"]*)"|'([^']*)')\)""", source):
        found.add((None, match.group(1) if match.group(1) is not None else match.group(2)))
    return found


def catalogue_keys(text: str) -> set[MsgKey]:
    """(context, msgid) of every live entry, plural ones included."""
    keys = set()
    for entry in po_entries(text)[1:]:
        if entry.startswith("#~"):
            continue
        fields = {}
        for name in ("msgctxt", "msgid"):
            match = re.search(rf'^{name} (".*"(?:\n".*")*)', entry, re.MULTILINE)
            fields[name] = "".join(ast.literal_eval(p) for p in match.group(1).split("\n")) if match else None
        if fields["msgid"]:
            keys.add((fields["msgctxt"], fields["msgid"]))
    return keys


def source_files(suffixes: tuple[str, ...]) -> list[Path]:
    skip = {"tests", "migrations", "testing", "static"}
    return [
        p
        for p in SOURCE.rglob("*")
        if p.suffix in suffixes and not skip & set(p.relative_to(SOURCE).parts[:-1])
    ]


def test_every_string_the_code_translates_is_in_the_catalogue():
    used: dict[MsgKey, Path] = {}
    for path in source_files((".py",)):
        used |= dict.fromkeys(python_msgids(path.read_text(encoding="utf-8")), path)
    templates = [p for p in source_files((".html", ".txt")) if "templates" in p.parts]
    assert len(templates) > 50
    for path in templates:
        used |= dict.fromkeys(template_msgids(path.read_text(encoding="utf-8")), path)
    # Chinese only: English literals in gettext calls (none today) would need no entry.
    used = {key: path for key, path in used.items() if re.search(r"[\u4e00-\u9fff]", key[1])}
    assert len(used) > 700  # the extraction really sees the code
    assert (None, "Webhook 订阅") in used and ("case action", "派遣") in used and (None, "未变") in used
    known = catalogue_keys(PO_FILE.read_text(encoding="utf-8"))
    missing = sorted(f"{path.relative_to(SOURCE)}: {key}" for key, path in used.items() if key not in known)
    assert not missing, missing[:10]


def test_msgid_extraction_sees_what_django_looks_up():
    python = (
        "from django.utils import translation\n"
        "from django.utils.translation import gettext_lazy as _, gettext_noop as noop, pgettext\n"
        "a = _('甲'); b = noop('乙'); c = pgettext('ctx', '丙'); d = translation.ngettext('丁', '丁们', 2)\n"
        "e = _(f'{x}'); f = print('戊')\n"
    )
    assert python_msgids(python) == {(None, "甲"), (None, "乙"), ("ctx", "丙"), (None, "丁")}
    template = (
        '{% load i18n %}{% translate "a + \\".\\" + b" %}{% translate "派遣" context "case action" %}'
        "{% blocktranslate trimmed with n=x %}\n  共 {{ n }} 件\n{% endblocktranslate %}"
        '{{ v|default:_("无") }}{% translate var %}{% translate "最近 %(n)s 件" %}'
    )
    assert template_msgids(template) == {
        (None, "最近 %%(n)s 件"),
        (None, 'a + "." + b'),
        ("case action", "派遣"),
        (None, "共 %(n)s 件"),
        (None, "无"),
    }
    text = PO_FILE.read_text(encoding="utf-8")
    assert ("case action", "派遣") in catalogue_keys(text)
    assert ("case action", "派遣") not in catalogue_keys(
        text.replace('msgctxt "case action"\nmsgid "派遣"', "#~ x")
    )


@pytest.fixture
def english_admin(world, client):
    client.force_login(world.user("east", Role.ADMIN))
    client.cookies["django_language"] = "en"
    return client


@pytest.mark.django_db
def test_token_pages_in_english(world, english_admin):
    admin = world.user("east", Role.ADMIN)
    accounts_actions.issue_token(admin, admin, name="sync", scopes=["read"], expires_at=None)
    integration = accounts_actions.create_integration(
        admin, name="12345 hotline platform", streets=[world.east.street], role=Role.DISPATCHER
    )
    html = page(english_admin, "/accounts/tokens/")
    assert "12345 hotline platform" in html  # the integrations table is rendered
    assert_english(
        html,
        present=[
            "My API tokens",
            "New token",
            "Bearer &lt;token&gt;",  # {% translate %} output is not escaped: the entity is in the msgstr
            "<th>Prefix</th>",
            "<th>Scopes</th>",
            "<td>Never</td>",
            ">Revoke</a>",
            "Service account role",
            "Active tokens",
            "Webhook subscriptions",  # the navigation
        ],
        absent=["我的 API 令牌", "权限范围", "不过期", "服务账号角色", "有效令牌", "Webhook 订阅"],
    )
    html = page(english_admin, integration.get_absolute_url())
    assert_english(
        html,
        present=["Integration", "Service account memberships", "<h2>Token</h2>"],
        absent=["外部系统接入", "服务账号任职"],
    )


@pytest.mark.django_db
def test_webhook_pages_in_english(world, english_admin):
    admin = world.user("east", Role.ADMIN)
    subscription, _secret = webhook_actions.create_subscription(
        admin,
        name="ops display",
        url="https://example.org/hook",
        events=["case.dispatch"],
        streets=[world.east.street],
    )
    html = page(english_admin, "/webhooks/")
    assert "ops display" in html
    assert_english(
        html,
        present=[
            "<h1>Webhooks</h1>",
            "New subscription",
            "<th>Receiver URL</th>",
            "<th>Sub-districts</th>",
            "<th>Failed deliveries</th>",
        ],
        absent=["Webhook 推送", "新建订阅", "接收地址", "街道范围", "失败推送"],
    )
    html = page(english_admin, subscription.get_absolute_url())
    assert_english(
        html,
        present=["Webhook subscriptions", "Replace signing secret", "Deliveries", "No deliveries yet."],
        absent=["更换签名密钥", "推送记录", "还没有推送记录"],
    )
    response = english_admin.post(f"/webhooks/{subscription.pk}/secret/")
    assert response.status_code == 200
    # The sentence with the escaped quotes: the catalogue holds the msgid Django looks up.
    assert_english(
        response.content.decode(),
        present=["Signing secret replaced", 'X-Civicgrid-Timestamp + "." + raw request body'],
        absent=["签名密钥已更换", "原始请求体"],
    )


# ---------------------------------------------------------------------------- one language at a time

# CJK letters and punctuation (not the ideographic space that indents a tree in a <select>).
CJK = re.compile(r"[\u3001-\u303f\u3400-\u9fff\uff00-\uffef]")


def cjk_outside_data(html: str, data: list[str]) -> list[str]:
    """The CJK text left on a page once the data (names, descriptions, addresses people typed)
    is taken out: what an English reader would see untranslated."""
    text = re.sub(r"(?s)<script.*?</script>|<style.*?</style>|<!--.*?-->", " ", html)
    text = re.sub(r"<[^>]*>", "\n", text)
    for value in sorted({d for d in data if d}, key=len, reverse=True):
        text = text.replace(value, " ")
    return sorted({line.strip() for line in text.splitlines() if CJK.search(line)})


def world_data(world) -> list[str]:
    from civicgrid.accounts.models import User
    from civicgrid.cases.models import Case
    from civicgrid.geo.models import Area
    from civicgrid.orgs.models import Unit

    values = [settings.CIVICGRID_SITE_NAME, "简体中文"]  # the site's configured name; a language's own name
    values += list(Area.objects.values_list("name", flat=True))
    values += list(Unit.objects.values_list("name", flat=True))
    values += list(User.objects.values_list("full_name", flat=True))
    for case in Case.objects.all():
        values += [case.title, case.description, case.address, case.reporter_name]
        for e in case.events.all():  # "name（username）" as written; notes people typed
            values += [e.actor_label, e.note if "note_params" not in e.data else ""]
    return values


@pytest.mark.django_db
def test_an_english_reader_walking_the_main_pages_sees_no_chinese_outside_data(
    world, client, django_capture_on_commit_callbacks
):
    from civicgrid.cases.tests.factories import duty

    duty(world)
    new = make_case(world)
    filed = advance(world, make_case(world), "filed")
    with django_capture_on_commit_callbacks(execute=True):
        closed = advance(world, make_case(world), "closed")  # notices on the way, in the inbox
    for role, urls in {
        "dispatcher": [
            "/",
            "/cases/",
            "/cases/?queue=all",
            new.get_absolute_url(),
            filed.get_absolute_url(),
            closed.get_absolute_url(),
            "/inbox/",
            "/cases/metrics/",
            "/cases/import/",
            "/jobs/",
            "/cases/categories/E2105/",
        ],
        "handler": ["/", "/inbox/", "/cases/tasks/"],
        "gridworker": ["/cases/m/", "/cases/m/report/", "/cases/m/verify/"],
    }.items():
        client.force_login(world.user("east", role))
        client.cookies["django_language"] = "en"
        for url in urls:
            left = cjk_outside_data(page(client, url), world_data(world))
            assert not left, (role, url, left)


def test_the_walk_catches_chinese_outside_data():
    html = '<p>王先生</p><p><span class="badge">待受理</span> 12:00</p>'
    assert cjk_outside_data(html, ["王先生"]) == ["待受理"]
    assert cjk_outside_data(html, ["王先生", "待受理"]) == []


@pytest.mark.django_db
def test_the_dispatch_form_has_a_translated_blank_choice(world, client):
    from civicgrid.cases.tests.factories import duty

    duty(world)
    filed = advance(world, make_case(world), "filed")
    client.force_login(world.user("east", "dispatcher"))
    # Django's own blank ("- Select an option -") has no Chinese: ours is translated both ways.
    html = page(client, filed.get_absolute_url())
    assert '<option value="">请选择</option>' in html and "Select an option" not in html
    client.cookies["django_language"] = "en"
    html = page(client, filed.get_absolute_url())
    assert '<option value="">Please choose</option>' in html


@pytest.mark.django_db
def test_category_names_follow_the_language(world, client, english_dispatcher):
    from civicgrid.accounts import tokens
    from civicgrid.cases.models import Category

    assert Category.objects.exclude(name_en="").count() == Category.objects.count() == 88
    case = make_case(world)  # E2105 噪声扰民
    assert_english(
        page(english_dispatcher, case.get_absolute_url()),
        present=["E2105 Noise nuisance", "Community matters"],
        absent=["E2105 噪声扰民", "扩展事件"],  # (the description says 噪声扰民 too: data)
    )
    workbench = page(english_dispatcher, "/cases/")
    assert_english(workbench, present=["<td>Noise nuisance</td>"], absent=["<td>噪声扰民</td>"])
    grouped = page(english_dispatcher, "/cases/metrics/?group_by=category")
    assert_english(grouped, present=["<td>Noise nuisance</td>"], absent=["<td>噪声扰民</td>"])
    client.cookies.pop("django_language")
    assert "E2105 噪声扰民" in page(client, case.get_absolute_url())  # Chinese stays the default
    # The API follows the program's Accept-Language (there is no switch to remember).
    key = tokens.issue(world.user("east", "dispatcher"), scopes=["read"]).key
    api = client.__class__()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    english = api.get(f"/api/v1/cases/{case.number}", HTTP_ACCEPT_LANGUAGE="en", **auth)
    assert english.status_code == 200 and english.json()["category"]["name"] == "Noise nuisance"
    assert "Accept-Language" in english["Vary"] and english["Content-Language"] == "en"
    chinese = api.get(f"/api/v1/cases/{case.number}", **auth)
    assert chinese.json()["category"]["name"] == "噪声扰民"
    from civicgrid.insights import rollups

    rollups.refresh()  # the dashboard's figures come from the rollups
    for path in ("/api/v1/metrics?group_by=category", "/api/v1/insights/metrics?group_by=category"):
        rows = api.get(path, HTTP_ACCEPT_LANGUAGE="en", **auth).json()["results"]
        assert [g["name"] for g in rows] == ["Noise nuisance"], path


@pytest.mark.django_db
def test_notices_and_system_notes_read_in_the_readers_language(
    world, client, django_capture_on_commit_callbacks
):
    from civicgrid.cases.tests.factories import duty
    from civicgrid.core.models import Notification

    duty(world)
    filed = advance(world, make_case(world), "filed")
    with django_capture_on_commit_callbacks(execute=True):
        case = advance(world, filed, "dispatched")
    handler = world.user("east", Role.HANDLER)
    notice = Notification.objects.get(user=handler)
    # Stored as a message id and its parameters, rendered for each reader.
    assert notice.text == "新派单 %(number)s（%(role)s）：%(title)s"
    assert notice.params == {"number": case.number, "role": "lead", "title": case.title}
    # A row written before (finished Chinese text, no params) still reads as it was.
    Notification.objects.create(user=handler, kind="dispatched", text="旧通知 100%", key="old:1")
    client.force_login(handler)
    chinese = page(client, "/inbox/")
    assert f"新派单 {case.number}（主办）" in chinese and "旧通知 100%" in chinese
    client.cookies["django_language"] = "en"
    english = page(client, "/inbox/")
    assert f"New case {case.number} (Lead" in english and "新派单" not in english
    assert "旧通知 100%" in english
    # The timeline's system notes likewise; what people typed stays as typed.
    client.force_login(world.user("east", "dispatcher"))
    html = page(client, case.get_absolute_url())
    assert "Registered via 12345 hotline" in html and "经12345热线登记" not in html
    client.cookies.pop("django_language")
    assert "经12345热线登记" in page(client, case.get_absolute_url())


@pytest.mark.django_db
def test_the_import_job_page_reads_in_english(world, client, tmp_path, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from civicgrid.cases.tests.test_import_12345 import rows, write_xlsx
    from civicgrid.core.models import Job

    client.force_login(world.user("east", Role.DISPATCHER))
    client.cookies["django_language"] = "en"
    path = write_xlsx(tmp_path / "12345.xlsx", rows())
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/cases/import/", {"file": SimpleUploadedFile(path.name, path.read_bytes())})
    job = Job.objects.get()
    assert "created=" not in job.message  # a message id, not the command's machine line
    html = page(client, job.get_absolute_url())
    assert_english(html, present=["Import finished", "Created"], absent=["导入完成", "新建", "created="])


@pytest.mark.django_db
def test_each_language_is_offered_in_its_own_name(world, client):
    client.force_login(world.user("east", "dispatcher"))
    for cookie in ("zh-hans", "en"):
        client.cookies["django_language"] = cookie
        html = page(client, "/")
        assert '<option value="en" lang="en"' in html and ">English</option>" in html
        assert ">简体中文</option>" in html and "英语" not in html


@pytest.mark.django_db
def test_the_site_has_an_icon(client):
    html = page(client, "/accounts/login/")
    assert 'rel="icon" href="/static/favicon.svg"' in html
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/favicon.svg"
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200
    assert b"<svg" in b"".join(icon.streaming_content if icon.streaming else [icon.content])

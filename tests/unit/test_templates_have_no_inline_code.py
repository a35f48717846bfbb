"""No template carries inline style or script: the Content-Security-Policy allows neither.

A <style> element, a style= attribute, an on*= handler, a javascript: URL or a <script>
with a body would be blocked in the browser (and would need 'unsafe-inline' to work), so
none is written: styles live in static/portal/site.css, scripts in static files.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
INLINE = {
    "a <style> element": re.compile(r"<style\b", re.I),
    "a style= attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I | re.S),
    "an on*= handler": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I | re.S),
    "a javascript: URL": re.compile(r"javascript:", re.I),
    "an inline <script>": re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.I),
}


def _templates() -> list[Path]:
    """Every HTML template of the project and its apps (not of installed packages)."""
    folders = [
        ROOT / "templates",
        *sorted(ROOT.glob("*/templates")),
        *sorted(ROOT.glob("settlement/*/templates")),
    ]
    return sorted(path for folder in folders for path in folder.rglob("*.html"))


def test_there_are_templates_to_check():
    names = {path.relative_to(ROOT).as_posix() for path in _templates()}
    assert {
        "templates/base.html",
        "templates/portal/home.html",
        "templates/staff/home.html",
    } <= names
    assert "templates/drf_spectacular/swagger_ui.html" in names


@pytest.mark.parametrize("path", _templates(), ids=lambda path: path.relative_to(ROOT).as_posix())
def test_a_template_has_no_inline_style_or_script(path: Path):
    text = path.read_text()
    found = [what for what, pattern in INLINE.items() if pattern.search(text)]
    assert found == []


@pytest.mark.parametrize(
    ("markup", "what"),
    [
        ('<div style="color: red">', "a style= attribute"),
        ("<style>p { color: red }</style>", "a <style> element"),
        ('<button type="button" onclick="go()">', "an on*= handler"),
        ('<a href="javascript:go()">', "a javascript: URL"),
        ("<script>go()</script>", "an inline <script>"),
    ],
)
def test_the_check_finds_each_kind(markup: str, what: str):
    assert [name for name, pattern in INLINE.items() if pattern.search(markup)] == [what]


def test_the_check_passes_a_static_script_and_data_attributes():
    markup = '<script src="/static/portal/countdown.js" defer></script><td data-label="Total">'
    assert [name for name, pattern in INLINE.items() if pattern.search(markup)] == []

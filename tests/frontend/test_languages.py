"""End-user pages in the viewer's language: ``ui_locales`` first, then ``Accept-Language``;
the German catalogue is complete and its committed ``.mo`` matches its ``.po``."""
import io
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from tests.helpers import start_flow

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
CATALOGUE = FRONTEND / "translations" / "de" / "LC_MESSAGES"
METHODS = [("frontend/**.py", "python"), ("frontend/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}


def catalogue():
    with open(CATALOGUE / "messages.po", "rb") as source:
        return read_po(source)


def key(message_id):
    return tuple(message_id) if isinstance(message_id, (list, tuple)) else message_id


def messages(catalog) -> dict:
    return {key(message.id): key(message.string) for message in catalog if message.id}


def test_the_committed_mo_is_the_compiled_po():
    compiled = io.BytesIO()
    write_mo(compiled, catalogue())
    compiled.seek(0)
    with open(CATALOGUE / "messages.mo", "rb") as committed:
        assert messages(read_mo(committed)) == messages(read_mo(compiled)), \
            "run: pybabel compile -d frontend/translations"


def test_every_message_of_the_pages_is_translated():
    found = {key(message[2]) for message in extract_from_dir(
        str(FRONTEND.parent), METHODS, keywords={**KEYWORDS, "_": None})
        if message[2]}
    translated = messages(catalogue())
    missing = sorted(str(m) for m in found if m not in translated or not translated[m])
    assert missing == [], "add these to frontend/translations/de/LC_MESSAGES/messages.po"


def test_the_browser_language_chooses_the_page_language(frontend, live):
    _, challenge = start_flow(live)
    german = frontend.get(f"/t/live/login?challenge={challenge}",
                          headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    html = german.get_data(as_text=True)
    assert '<html lang="de">' in html and ">Anmelden</button>" in html
    assert "Ihre E-Mail-Adresse sehen" in html
    english = frontend.get(f"/t/live/login?challenge={challenge}",
                           headers={"Accept-Language": "fr, en;q=0.8"})
    assert ">Sign in</button>" in english.get_data(as_text=True)


def test_ui_locales_wins_over_the_browser(frontend, live):
    _, challenge = start_flow(live, ui_locales="de-CH fr")
    page = frontend.get(f"/t/live/login?challenge={challenge}",
                        headers={"Accept-Language": "en"})
    assert ">Anmelden</button>" in page.get_data(as_text=True)


def test_the_error_page_speaks_german_too(frontend, live):
    page = frontend.get("/t/live/error?error=invalid_client", headers={"Accept-Language": "de"})
    assert page.status_code == 400
    assert "Diese Anwendung ist nicht registriert" in page.get_data(as_text=True)

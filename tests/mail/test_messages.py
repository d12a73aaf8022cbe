"""Mails in the tenant's name and branding (api/mail/messages.py)."""
from api.mail.messages import DARK_TEXT, LIGHT_TEXT, compose, text_on
from api.tenancy.models import Tenant

LINK = "https://id.example/t/acme/reset-password?token=abc"


def test_a_mail_wears_the_tenants_branding():
    tenant = Tenant(slug="acme", name="Acme Corp", branding={
        "display_name": "Acme Shop", "logo_uri": "https://cdn.acme.example/logo.png",
        "primary_color": "#ffd400"})
    mail = compose("reset_password", "jo@acme.io", tenant, link=LINK)
    assert mail["from_name"] == "Acme Shop" and mail["subject"] == "Reset your Acme Shop password"
    assert 'src="https://cdn.acme.example/logo.png"' in mail["html"]
    assert f"background:#ffd400;color:{DARK_TEXT}" in mail["html"]  # yellow: dark text
    assert "for Acme Shop" in mail["text"] and "Acme Corp" not in mail["text"] + mail["html"]


def test_without_branding_a_mail_uses_the_tenant_name_and_the_default_colour():
    mail = compose("verify_email", "jo@acme.io", Tenant(slug="acme", name="Acme Corp",
                                                        branding={}), link=LINK)
    assert mail["subject"] == "Verify your email address for Acme Corp"
    assert f"background:#2f5bd3;color:{LIGHT_TEXT}" in mail["html"] and "<img" not in mail["html"]


def test_button_text_is_whichever_of_black_and_white_reads_better():
    assert text_on("#000000") == LIGHT_TEXT and text_on("#ffffff") == DARK_TEXT
    assert text_on("#2f5bd3") == LIGHT_TEXT and text_on("#ffd400") == DARK_TEXT

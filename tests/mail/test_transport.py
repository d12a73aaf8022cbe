"""Mail transport against a real SMTP server (aiosmtpd): STARTTLS is required and its
certificate verified unless the URL says ``starttls=false``; ``smtps://`` is implicit TLS."""
import datetime
import ipaddress
import smtplib
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from api.config import ConfigError, smtp_settings
from api.mail.transport import build, send_smtp
from tests.mailcatcher import MailCatcher

PAYLOAD = {"from_name": "Acme", "to": "jo@acme.io", "subject": "Hello", "text": "plain",
           "html": "<p>html</p>"}


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1: (cert file, server TLS context)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return str(cert_file), context


@pytest.fixture
def starttls_server(certificate):
    server = MailCatcher(tls_context=certificate[1], require_starttls=True).start()
    yield server
    server.stop()


def send(url: str) -> None:
    send_smtp(build(PAYLOAD, "noreply@acme.io"), smtp_settings(url), timeout=5)


def test_starttls_with_an_untrusted_certificate_is_refused(starttls_server, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    with pytest.raises(ssl.SSLCertVerificationError):
        send(f"smtp://127.0.0.1:{starttls_server.port}")
    assert starttls_server.messages == []


def test_starttls_with_the_certificate_trusted_through_ssl_cert_file(starttls_server,
                                                                     certificate, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", certificate[0])
    send(f"smtp://127.0.0.1:{starttls_server.port}")
    received = starttls_server.wait_for("jo@acme.io")
    assert received["From"] == "Acme <noreply@acme.io>" and received["Subject"] == "Hello"
    assert received.get_body(("html",)).get_content().strip() == "<p>html</p>"


def test_plain_smtp_url_never_falls_back_to_cleartext():
    server = MailCatcher().start()  # offers no STARTTLS
    try:
        with pytest.raises(smtplib.SMTPNotSupportedError):
            send(f"smtp://127.0.0.1:{server.port}")
        assert server.messages == []
        send(server.url)  # ...unless the URL says starttls=false
        assert server.wait_for("jo@acme.io")["Subject"] == "Hello"
    finally:
        server.stop()


def test_smtps_is_implicit_tls(certificate, monkeypatch):
    server = MailCatcher(implicit_tls=certificate[1]).start()
    try:
        monkeypatch.setenv("SSL_CERT_FILE", certificate[0])
        send(f"smtps://127.0.0.1:{server.port}")
        assert server.wait_for("jo@acme.io")["Subject"] == "Hello"
    finally:
        server.stop()


@pytest.mark.parametrize("url, expected", [
    ("smtp://mail.example:587", {"host": "mail.example", "port": 587, "username": None,
                                 "password": None, "security": "starttls"}),
    ("smtp://u%40x:p%3Aw@mail.example", {"host": "mail.example", "port": 587,
                                         "username": "u@x", "password": "p:w",
                                         "security": "starttls"}),
    ("smtp://127.0.0.1:1025?starttls=false", {"host": "127.0.0.1", "port": 1025,
                                              "username": None, "password": None,
                                              "security": "plain"}),
    ("smtps://mail.example", {"host": "mail.example", "port": 465, "username": None,
                              "password": None, "security": "tls"}),
])
def test_smtp_url_forms(url, expected):
    assert smtp_settings(url) == expected


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "smtp://h:99999",
                                 "smtp://h?starttls=maybe", "smtp://h?tls=1",
                                 "smtps://h?starttls=false"])
def test_bad_smtp_urls_are_refused_at_startup(url):
    with pytest.raises(ConfigError, match="SMTP_URL"):
        smtp_settings(url)


@pytest.mark.parametrize("environment, logged", [("development", True), ("production", False)])
def test_without_smtp_url_mails_go_to_a_folder_and_the_log(
        app, monkeypatch, tmp_path, caplog, environment, logged):
    """What ``make run`` does: a reset mail shows in the log, links and all (never in
    production, where the .eml file alone keeps it)."""
    from api.mail.transport import deliver

    for name, value in (("SMTP", None), ("MAIL_DIR", str(tmp_path)),
                        ("TESSERA_ENV", environment)):
        monkeypatch.setitem(app.config, name, value)
    with app.app_context():
        deliver({**PAYLOAD, "text": "Reset: http://localhost:8000/t/acme/reset-password?token=abc"})
    [kept] = tmp_path.glob("*.eml")
    assert "token=abc" in kept.read_text() and oct(kept.stat().st_mode)[-3:] == "600"
    assert "jo@acme.io" in caplog.text and ("token=abc" in caplog.text) is logged

"""docker-compose.yml, the Dockerfile and the nginx configs, checked without Docker."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from api.config import load_config as api_config
from frontend.config import load_config as frontend_config
from settings import MAX_BODY_BYTES
from tests.services import require

ROOT = Path(__file__).resolve().parent.parent.parent


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_the_whole_topology():
    services = compose()["services"]
    assert set(services) >= {"postgres", "api", "frontend", "nginx", "pgadmin", "redis",
                             "mailpit"}
    assert services["postgres"]["image"].startswith("postgres:15")
    assert "pgdata:/var/lib/postgresql/data" in services["postgres"]["volumes"]
    assert set(services["nginx"]["ports"]) == {"8080:8080", "8000:8000"}
    assert services["pgadmin"]["ports"] == ["5050:80"]
    for name in ("postgres", "api", "redis"):
        assert services[name]["healthcheck"]["test"], name
    assert services["api"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["nginx"]["depends_on"]["api"]["condition"] == "service_healthy"
    assert "db upgrade" in services["api"]["command"]  # migrations before serving
    assert "uwsgi --ini uwsgi.ini:api" in services["api"]["command"]
    assert services["frontend"]["command"] == "uwsgi --ini uwsgi.ini:frontend"
    assert "servers.json" in " ".join(services["pgadmin"]["volumes"])
    assert services["mailpit"]["ports"] == ["8025:8025"]  # the web inbox
    assert "smtp://mailpit:1025?starttls=false" in services["api"]["environment"]["SMTP_URL"]
    assert set(compose()["volumes"]) >= {"pgdata"}


def test_compose_runs_the_api_as_the_runtime_role_and_migrates_as_the_owner():
    services = compose()["services"]
    api, frontend = services["api"]["environment"], services["frontend"]["environment"]
    assert api["DATABASE_URL"].startswith("postgresql://tessera_app:")
    assert api["DATABASE_ADMIN_URL"].startswith("postgresql://tessera:")
    assert not {"DATABASE_URL", "DATABASE_ADMIN_URL"} & set(frontend)
    init = "./postgres/init-runtime-role.sh:/docker-entrypoint-initdb.d/init-runtime-role.sh:ro"
    assert init in services["postgres"]["volumes"]
    script = (ROOT / "postgres" / "init-runtime-role.sh").read_text()
    assert "CREATE ROLE tessera_app LOGIN" in script
    assert "NOSUPERUSER NOBYPASSRLS" in script


def test_compose_hard_codes_no_secret():
    text = (ROOT / "docker-compose.yml").read_text()
    for variable in ("SECRET_KEY", "POSTGRES_PASSWORD", "TESSERA_DB_PASSWORD", "FRONTEND_API_KEY",
                     "PGADMIN_DEFAULT_PASSWORD"):
        assert f"${{{variable}:?" in text, variable
    for line in text.splitlines():
        assert not re.match(r"\s*[A-Z_]*(PASSWORD|SECRET|KEY)[A-Z_]*: *(?!\$\{)\S", line), line
    example = (ROOT / ".env.example").read_text()
    names = ("SECRET_KEY", "POSTGRES_PASSWORD", "TESSERA_DB_PASSWORD", "FRONTEND_API_KEY",
             "PGADMIN_DEFAULT_PASSWORD")
    assert all(f"{name}=" in example for name in names)


def test_dockerfile_runs_as_a_non_root_user():
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^USER tessera$", text, re.M)
    assert "slim" in text and "--no-cache-dir" in text
    assert not re.search(r"(SECRET_KEY|PASSWORD)=", text)


def test_nginx_bounds_bodies_as_the_apps_do():
    """Both apps refuse a body over MAX_BODY_BYTES themselves (413); nginx says the same."""
    template = (ROOT / "nginx" / "tessera.conf.template").read_text()
    megabytes = re.search(r"^client_max_body_size (\d+)m;$", template, re.M).group(1)
    assert int(megabytes) * 1024 * 1024 == MAX_BODY_BYTES
    testing = {"TESSERA_ENV": "testing"}
    assert api_config(str(ROOT), testing)["MAX_CONTENT_LENGTH"] == MAX_BODY_BYTES
    assert frontend_config(testing)["MAX_CONTENT_LENGTH"] == MAX_BODY_BYTES


def test_rendered_nginx_configs_pass_nginx_t(tmp_path):
    require(shutil.which("nginx") is not None, "nginx")
    result = subprocess.run([sys.executable, str(ROOT / "bin" / "stack"), "check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_tls_server_block_passes_nginx_t(tmp_path):
    require(shutil.which("nginx") is not None, "nginx")
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tessera.test")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1).not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    env = {"PATH": "/usr/sbin:/usr/bin:/bin", "TLS_CERT": str(tmp_path / "cert.pem"),
           "TLS_KEY": str(tmp_path / "key.pem"), "API_HOST": "id.tessera.test",
           "FRONTEND_HOST": "app.tessera.test", "STACK_API_PORT": "18080",
           "STACK_FRONTEND_PORT": "18000"}
    result = subprocess.run([sys.executable, str(ROOT / "bin" / "stack"), "check"], cwd=ROOT,
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    rendered = (ROOT / ".stack" / "tessera.conf").read_text()
    assert "Strict-Transport-Security" in rendered and "TLSv1.2 TLSv1.3" in rendered

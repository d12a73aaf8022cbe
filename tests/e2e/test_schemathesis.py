"""Property-based run of the REST API from its own OpenAPI document (Schemathesis).

With an owner's token against a live API under uWSGI on a database of its own: no 5xx anywhere, and
every response conforms to the document (status codes, content types, schemas).
"""
import subprocess
import sys
from pathlib import Path

import requests

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CHECKS = ("not_a_server_error,status_code_conformance,content_type_conformance,"
          "response_schema_conformance,response_headers_conformance")


def owner_token(live) -> str:
    client_id, secret = live.clients["admin-cli"]
    response = requests.post(f"{live.issuer}/token", auth=(client_id, secret), timeout=10,
                             data={"grant_type": "password", "username": live.owner,
                                   "password": live.password})
    response.raise_for_status()
    return response.json()["access_token"]


def test_rest_api_conforms_to_its_openapi_document(isolated_live, tmp_path):
    live = isolated_live  # fuzzing changes passwords and roles: keep it off the shared tenant
    config = tmp_path / "schemathesis.toml"
    config.write_text('[parameters]\n"path.slug" = "live"\n')
    command = [str(SCHEMATHESIS), "--config-file", str(config), "run",
               f"{live.base_url}/api/v1/openapi.json", "--url", live.base_url,
               "-H", f"Authorization: Bearer {owner_token(live)}", "--checks", CHECKS,
               "--max-examples", "12", "--seed", "1", "--workers", "1",
               # Deleting the tenant or the caller's own client would end the run's token;
               # DELETEs are covered by the RBAC and isolation matrices instead.
               "--exclude-method", "DELETE", "--exclude-path-regex",
               r"/api/v1/tenant$|/clients/\{client_uuid\}$"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]

"""Metrics pooled across uWSGI workers, and structured request logs."""
import json
import logging
import re

import requests

from observability import JsonFormatter


def scrape(live, name: str, **labels) -> float:
    text = requests.get(f"{live.base_url}/metrics", timeout=5).text
    selector = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    match = re.search(rf"^{name}\{{{re.escape(selector)}\}} ([0-9.e+]+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def test_token_metrics_count_every_worker(live):
    client_id, secret = live.clients["service"]
    labels = {"grant_type": "client_credentials", "tenant": "live"}
    before = scrape(live, "tessera_tokens_issued_total", **labels)
    for _ in range(5):
        requests.post(f"{live.issuer}/token", auth=(client_id, secret), timeout=10,
                      data={"grant_type": "client_credentials"}).raise_for_status()
    # two uWSGI workers answer scrapes in turn; each must see all five
    assert {scrape(live, "tessera_tokens_issued_total", **labels) - before
            for _ in range(6)} == {5.0}
    text = requests.get(f"{live.base_url}/metrics", timeout=5).text
    assert 'tessera_http_requests_total{app="api",endpoint="tenant.oauth.issue_token"' in text
    assert "tessera_http_request_duration_seconds_bucket" in text


def test_request_log_lines_are_json_with_request_id_tenant_and_status(
        client, caplog, factories):
    factories.tenant("acme")
    with caplog.at_level(logging.INFO, logger="api.access"):
        client.get("/t/acme/jwks.json", headers={"X-Request-ID": "log-me-1"})
    record = next(r for r in caplog.records if r.name == "api.access")
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "log-me-1" and line["tenant"] == "acme"
    assert line["status"] == 200 and line["path"] == "/t/acme/jwks.json"

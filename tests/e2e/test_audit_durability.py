"""Refusals stay on record though their request rolls back: under uWSGI, on the run's
database, the audit record of a refusal is written in a transaction of its own."""
import requests


def password_token(live, email: str) -> str:
    client_id, secret = live.clients["admin-cli"]
    response = requests.post(f"{live.issuer}/token", auth=(client_id, secret), timeout=10, data={
        "grant_type": "password", "username": email, "password": live.password,
        "scope": "openid audit:read users:write"})
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def audit_events(live, token: str, **filters) -> list[dict]:
    response = requests.get(f"{live.issuer}/api/v1/audit-events", timeout=5, params=filters,
                            headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_a_refused_request_is_audited_and_changes_nothing_else(live):
    owner = password_token(live, live.owner)
    member = password_token(live, "user2@live.example")
    refused = requests.get(f"{live.issuer}/api/v1/audit-events", timeout=5,
                           headers={"Authorization": f"Bearer {member}",
                                    "X-Request-ID": "refusal-under-uwsgi"})
    assert refused.status_code == 403
    denied = [event for event in audit_events(live, owner, action="permission.denied")
              if event["request_id"] == "refusal-under-uwsgi"]
    assert len(denied) == 1
    assert denied[0]["actor"] == "user2@live.example" and denied[0]["outcome"] == "denied"


def test_a_failed_sign_in_is_audited(live):
    client_id, secret = live.clients["legacy"]
    response = requests.post(f"{live.issuer}/token", auth=(client_id, secret), timeout=10,
                             headers={"X-Request-ID": "wrong-password-under-uwsgi"}, data={
                                 "grant_type": "password", "username": "user3@live.example",
                                 "password": "not the password at all"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    failed = [event for event in audit_events(live, password_token(live, live.owner),
                                              action="sign_in.failed")
              if event["request_id"] == "wrong-password-under-uwsgi"]
    assert [event["details"]["email"] for event in failed] == ["user3@live.example"]

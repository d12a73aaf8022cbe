"""Client authentication failures (RFC 6749 §2.3, §5.2): one answer whatever went wrong, a
401 with a ``Basic`` challenge and its realm (RFC 7617), and a description in words."""
import pytest

from tests.helpers import basic_auth

REALM = 'Basic realm="http://localhost:8080/t/acme"'


@pytest.mark.parametrize("endpoint,form", [
    ("token", {"grant_type": "client_credentials"}),
    ("introspect", {"token": "x"}),
    ("revoke", {"token": "x"}),
])
def test_unknown_client_and_wrong_secret_look_the_same(oauth, service, endpoint, form):
    client, _ = service
    attempts = [
        oauth.http.post(f"/t/acme/{endpoint}", data=form,
                        headers=basic_auth(client.client_id, "wrong")),
        oauth.http.post(f"/t/acme/{endpoint}", data=form,
                        headers=basic_auth("no-such-client", "wrong")),
        oauth.http.post(f"/t/acme/{endpoint}", data={**form, "client_id": client.client_id,
                                                     "client_secret": "wrong"}),
        oauth.http.post(f"/t/acme/{endpoint}", data={**form, "client_id": "no-such-client",
                                                     "client_secret": "wrong"}),
        oauth.http.post(f"/t/acme/{endpoint}", data={**form, "client_id": "no-such-client"}),
        oauth.http.post(f"/t/acme/{endpoint}", data=form),
    ]
    for answer in attempts:
        assert answer.status_code == 401
        assert answer.json["error"] == "invalid_client"
        assert answer.headers["WWW-Authenticate"].startswith(REALM + ', error="invalid_client"')
        assert answer.headers["Cache-Control"] == "no-store"
    descriptions = {answer.json["error_description"] for answer in attempts}
    assert len(descriptions) == 1
    [description] = descriptions
    assert description.startswith("Client authentication failed") and "[" not in description

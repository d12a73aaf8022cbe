"""Fixtures for driving the protocol endpoints through the Flask test client."""
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from api.extensions import db
from api.prepared import PreparedStatement
from tests.factories import PASSWORD
from tests.helpers import REDIRECT_URI, basic_auth, pkce_pair, query


class OAuthHelper:
    """Drives one tenant's endpoints the way a client, a browser and the frontend would."""

    def __init__(self, http, app, tenant):
        self.http, self.app, self.tenant = http, app, tenant
        self.base = f"/t/{tenant.slug}"
        self.frontend_key = {"X-Frontend-Key": app.config["FRONTEND_API_KEY"]}

    def token(self, client_id=None, secret=None, **form):
        headers = basic_auth(client_id, secret) if secret else {}
        if client_id and not secret:
            form["client_id"] = client_id
        return self.http.post(f"{self.base}/token", data=form, headers=headers)

    def client_credentials(self, client, secret, scope=None):
        form = {"grant_type": "client_credentials"}
        if scope:
            form["scope"] = scope
        response = self.token(client.client_id, secret, **form)
        assert response.status_code == 200, response.json
        return response.json

    def authorize(self, client, scope="openid", redirect_uri=REDIRECT_URI, pkce=True,
                  ip="127.0.0.1", **params):
        """The browser (at ``ip``) at the authorization endpoint; with a PKCE challenge
        unless ``pkce=False`` or the test passes its own."""
        args = {"response_type": "code", "client_id": client.client_id,
                "redirect_uri": redirect_uri, "scope": scope, "state": "xyz"}
        if pkce:
            args.update(code_challenge=pkce_pair()[1], code_challenge_method="S256")
        return self.http.get(f"{self.base}/authorize", query_string={**args, **params},
                             environ_base={"REMOTE_ADDR": ip})

    def challenge_of(self, response) -> str:
        assert response.status_code == 302, response.get_data(as_text=True)
        return query(response.headers["Location"])["challenge"]

    def log_in(self, challenge, email, password=PASSWORD):
        return self.http.post(f"{self.base}/sign-in/challenges/{challenge}/login",
                              json={"email": email, "password": password},
                              headers=self.frontend_key)

    def decide(self, challenge, approve=True, remember=False):
        return self.http.post(f"{self.base}/sign-in/challenges/{challenge}/consent",
                              json={"approve": approve, "remember": remember},
                              headers=self.frontend_key)

    def follow(self, redirect_to: str):
        """The browser returning to the API's authorization endpoint."""
        parts = urlsplit(redirect_to)
        return self.http.get(parts.path, query_string=parts.query)

    def code_flow(self, client, email, scope="openid", approve=True, **params):
        """Authorize → sign in → (consent) → back to the API; returns the final response."""
        challenge = self.challenge_of(self.authorize(client, scope, **params))
        result = self.log_in(challenge, email)
        assert result.status_code == 200, result.json
        if result.json.get("consent_required"):
            result = self.decide(challenge, approve=approve)
        return self.follow(result.json["redirect_to"])

    def code_tokens(self, client, secret, email, scope="openid profile:read", **params):
        verifier, challenge = pkce_pair()
        final = self.code_flow(client, email, scope, code_challenge=challenge,
                               code_challenge_method="S256", **params)
        code = query(final.headers["Location"])["code"]
        response = self.token(client.client_id, secret, grant_type="authorization_code",
                              code=code, redirect_uri=REDIRECT_URI, code_verifier=verifier)
        assert response.status_code == 200, response.json
        return response.json

    def me(self, access_token):
        return self.http.get(f"{self.base}/api/v1/me",
                             headers={"Authorization": f"Bearer {access_token}"})


@pytest.fixture
def oauth(app, client, tenant):
    return OAuthHelper(client, app, tenant)


@pytest.fixture
def web_app(factories, tenant):
    """A confidential web client: code + refresh, identity scopes and profile permissions."""
    return factories.client(tenant, grant_types=("authorization_code", "refresh_token"),
                            scope="openid email offline_access profile:read users:read "
                                  "projects:read", redirect_uris=(REDIRECT_URI,))


@pytest.fixture
def service(factories, tenant):
    """A confidential machine client with client_credentials."""
    return factories.client(tenant, grant_types=("client_credentials",),
                            scope="projects:read users:read")


@pytest.fixture
def prepared_runs(monkeypatch) -> list[str]:
    """The names of the prepared statements run meanwhile (api.prepared), in order."""
    names = []
    run = PreparedStatement._run_prepared

    def counted(self, engine, params, fetch):
        names.append(self.name)
        return run(self, engine, params, fetch)

    monkeypatch.setattr(PreparedStatement, "_run_prepared", counted)
    return names


@pytest.fixture
def statements(committed_app):
    """The statements sent through SQLAlchemy meanwhile, each with whether its connection
    was in autocommit (one message, no BEGIN or COMMIT)."""
    sent = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, cursor.connection.autocommit))

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)

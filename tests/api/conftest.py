"""Callers of the tenant REST API, each holding a real token from a real grant."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from api.rbac.permissions import ALL
from tests.factories import PASSWORD
from tests.oauth.conftest import basic_auth

CLIENT_SCOPE = "projects:read projects:write users:read clients:read"


@dataclass
class Api:
    """Requests to one tenant's REST API as one caller."""

    http: object
    slug: str
    token: str | None

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def call(self, method: str, path: str, **kwargs):
        return self.http.open(f"/t/{self.slug}/api/v1{path}", method=method,
                              headers=self.headers, **kwargs)

    def get(self, path, **kwargs):
        return self.call("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.call("POST", path, **kwargs)

    def patch(self, path, **kwargs):
        return self.call("PATCH", path, **kwargs)

    def delete(self, path, **kwargs):
        return self.call("DELETE", path, **kwargs)


class Callers:
    """Mints tokens for one tenant: users through the password grant, a service account."""

    def __init__(self, http, factories, tenant):
        self.http, self.factories, self.tenant = http, factories, tenant
        self.app_client, self.app_secret = factories.client(
            tenant, grant_types=("password", "refresh_token"), scope="openid " + " ".join(ALL))
        self.service, self.service_secret = factories.client(
            tenant, grant_types=("client_credentials",), scope=CLIENT_SCOPE)

    def token(self, email: str, scope: str | None = None) -> str:
        form = {"grant_type": "password", "username": email, "password": PASSWORD}
        if scope:
            form["scope"] = scope
        response = self.http.post(f"/t/{self.tenant.slug}/token", data=form,
                                  headers=basic_auth(self.app_client.client_id, self.app_secret))
        assert response.status_code == 200, response.json
        return response.json["access_token"]

    def as_user(self, email: str, scope: str | None = None) -> Api:
        return Api(self.http, self.tenant.slug, self.token(email, scope))

    def as_new_user(self, role: str, scope: str | None = None) -> Api:
        user = self.factories.user(self.tenant, role=role)
        return self.as_user(user.email, scope)

    def as_service(self) -> Api:
        response = self.http.post(f"/t/{self.tenant.slug}/token",
                                  data={"grant_type": "client_credentials"},
                                  headers=basic_auth(self.service.client_id, self.service_secret))
        return Api(self.http, self.tenant.slug, response.json["access_token"])

    def anonymous(self) -> Api:
        return Api(self.http, self.tenant.slug, None)


@pytest.fixture
def callers(client, factories, tenant):
    return Callers(client, factories, tenant)


@pytest.fixture
def owner(callers):
    return callers.as_user("owner@acme.io")


@pytest.fixture
def admin(callers):
    return callers.as_new_user("admin")


@pytest.fixture
def member(callers):
    return callers.as_new_user("user")

"""The OpenAPI 3 document: valid, and covering every REST route, status and the bearer scheme."""
from openapi_spec_validator import validate

from api.openapi import OPERATIONS


def test_document_is_valid_openapi_3(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json
    validate(document)
    assert document["openapi"].startswith("3.")
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_every_rest_route_is_documented(app, client):
    document = client.get("/api/v1/openapi.json").json
    documented = {(path, method.upper()) for path, item in document["paths"].items()
                  for method in item}
    for rule in app.url_map.iter_rules():
        if "/api/v1/" not in rule.rule or rule.endpoint.endswith("get_openapi"):
            continue
        path = rule.rule
        for kind in ("uuid:", "slug:", ""):
            path = path.replace(f"<{kind}", "{")
        path = path.replace(">", "}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (path, method) in documented, (path, method)
    assert len(documented) == len(OPERATIONS)


def test_operations_declare_their_statuses_and_security(client):
    document = client.get("/api/v1/openapi.json").json
    users = document["paths"]["/t/{slug}/api/v1/users"]
    assert set(users["post"]["responses"]) >= {"201", "400", "401", "403", "409", "422"}
    assert users["post"]["security"] == [{"bearerAuth": []}]
    assert "security" not in document["paths"]["/api/v1/tenants"]["post"]
    assert "204" in document["paths"]["/t/{slug}/api/v1/users/{user_id}"]["delete"]["responses"]

"""Liveness and readiness probes."""
from flask_migrate import upgrade

from api.app import create_app


def test_health_is_ok_without_io(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
    assert response.headers["X-Request-ID"]


def test_ready_when_database_is_migrated(client):
    response = client.get("/health/ready")
    assert response.status_code == 200
    assert response.json == {"status": "ready"}


def test_not_ready_when_migrations_are_behind(empty_app):
    upgrade(revision="0001")
    response = empty_app.test_client().get("/health/ready")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert "migrations behind: database at 0001" in response.json["detail"]


def test_not_ready_when_database_is_unreachable():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg2://nobody@127.0.0.1:1/none",
                      "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 2}}})
    client = app.test_client()
    assert client.get("/health").status_code == 200
    response = client.get("/health/ready")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert "Traceback" not in response.get_data(as_text=True)


def test_request_id_is_echoed_when_well_formed(client):
    def echoed(request_id):
        return client.get("/health", headers={"X-Request-ID": request_id}).headers["X-Request-ID"]

    assert echoed("abc-123") == "abc-123"
    assert echoed("bad id <x>") != "bad id <x>"


def test_unknown_paths_are_problem_documents(client):
    response = client.get("/no-such-thing")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json["status"] == 404

"""Both apps start under the real uWSGI with the repository's uwsgi.ini."""
import requests

from tests.live import reload_gracefully, uwsgi, uwsgi_section


def test_api_serves_health_and_readiness_under_uwsgi(app, database):
    with uwsgi("api", database.env) as base_url:
        assert requests.get(f"{base_url}/health", timeout=5).json() == {"status": "ok"}
        ready = requests.get(f"{base_url}/health/ready", timeout=5)
        assert ready.status_code == 200 and ready.json() == {"status": "ready"}


def test_api_is_not_ready_without_its_database():
    with uwsgi("api", {"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}) as base_url:
        ready = requests.get(f"{base_url}/health/ready", timeout=15)
        assert ready.status_code == 503
        assert ready.headers["Content-Type"] == "application/problem+json"


def test_frontend_serves_under_uwsgi():
    with uwsgi("frontend", {}) as base_url:
        assert requests.get(f"{base_url}/health", timeout=5).json() == {"status": "ok"}
        assert "Tessera" in requests.get(base_url, timeout=5).text


def test_api_serves_again_after_a_graceful_reload(app, database):
    with uwsgi_section("api", database.env) as server:
        reload_gracefully(server)
        assert requests.get(f"{server.url}/health/ready", timeout=5).status_code == 200
        assert server.process.poll() is None

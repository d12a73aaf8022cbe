"""The frontend app under Flask's test client, talking over HTTP to the live API."""
import pytest

from frontend.app import create_app


@pytest.fixture
def frontend(live, tmp_path):
    app = create_app({"API_INTERNAL_URL": live.base_url, "PUBLIC_API_URL": live.base_url,
                      "FRONTEND_API_KEY": live.frontend_key})
    app.instance_path = str(tmp_path)
    return app.test_client()

"""Races against the live API: N parallel requests, exactly one winner where it matters."""
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session

from api.users.authentication import ACCOUNT_AND_IP_LIMIT
from tests.live import CALLBACK
from tests.helpers import discover, get_me, sign_in_through_frontend

PARALLEL = 8


def race(call, times=PARALLEL) -> list[requests.Response]:
    with ThreadPoolExecutor(max_workers=times) as pool:
        return list(pool.map(lambda _: call(), range(times)))


def fresh_code(live) -> str:
    client_id, _ = live.clients["web"]
    session = OAuth2Session(client_id, scope="openid", redirect_uri=CALLBACK,
                            code_challenge_method="S256")
    url, _ = session.create_authorization_url(discover(live)["authorization_endpoint"],
                                              code_verifier="c" * 64)
    callback = sign_in_through_frontend(live, requests.Session(), url, "user0@live.example")
    return parse_qs(urlsplit(callback).query)["code"][0]


def test_parallel_redemptions_of_one_code_have_exactly_one_winner(live):
    client_id, secret = live.clients["web"]
    code = fresh_code(live)
    token_url = discover(live)["token_endpoint"]
    responses = race(lambda: requests.post(token_url, auth=(client_id, secret), timeout=30, data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK,
        "code_verifier": "c" * 64}))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [400] * (PARALLEL - 1)
    winner = next(r for r in responses if r.status_code == 200).json()
    assert all(r.json()["error"] == "invalid_grant" for r in responses if r.status_code == 400)
    assert get_me(live, winner["access_token"]).status_code == 401  # the replays revoked it


def test_parallel_refreshes_of_one_token_have_exactly_one_winner(live):
    """Several rounds: lock-order bugs (deadlocks, answered 503) show up only now and then."""
    client_id, secret = live.clients["legacy"]
    token_url = discover(live)["token_endpoint"]

    def refresh(refresh_token):
        return requests.post(token_url, auth=(client_id, secret), timeout=30, data={
            "grant_type": "refresh_token", "refresh_token": refresh_token})

    for _ in range(5):
        token = requests.post(token_url, auth=(client_id, secret), timeout=10, data={
            "grant_type": "password", "username": "user0@live.example",
            "password": live.password}).json()
        responses = race(lambda: refresh(token["refresh_token"]))
        assert sorted(r.status_code for r in responses) == [200] + [400] * (PARALLEL - 1)
        winner = next(r for r in responses if r.status_code == 200).json()
        assert refresh(winner["refresh_token"]).status_code == 400  # the reuse killed the family


def test_parallel_password_guesses_cannot_exceed_the_limit(live):
    client_id, secret = live.clients["legacy"]
    token_url = discover(live)["token_endpoint"]
    responses = race(lambda: requests.post(token_url, auth=(client_id, secret), timeout=30,
                                           data={"grant_type": "password",
                                                 "username": "victim@live.example",
                                                 "password": "a wrong guess!"}), times=20)
    assert all(r.status_code == 400 for r in responses)
    checked = [r for r in responses if "incorrect" in r.json()["error_description"]]
    throttled = [r for r in responses if "Too many" in r.json()["error_description"]]
    assert len(checked) == ACCOUNT_AND_IP_LIMIT
    assert len(throttled) == 20 - ACCOUNT_AND_IP_LIMIT

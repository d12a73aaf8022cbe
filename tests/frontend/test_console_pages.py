"""Console pages for users, roles, audit log, settings, account and sign-up."""
import re
import uuid

from tests.factories import PASSWORD
from tests.helpers import csrf_token, sign_in
from tests.mailcatcher import link_in


def test_users_page_creates_filters_changes_role_and_deactivates(frontend, live):
    sign_in(frontend, live, live.owner)
    page = frontend.get("/t/live/console/users")
    email = f"new-{uuid.uuid4().hex[:6]}@live.example"
    created = frontend.post("/t/live/console/users", data={
        "csrf_token": csrf_token(page), "email": email, "password": PASSWORD, "role": "user"})
    assert created.status_code == 303
    found = frontend.get("/t/live/console/users", query_string={"email": email})
    html = found.get_data(as_text=True)
    assert email in html and "1 user ·" in html
    user_id = re.search(r"/users/([0-9a-f-]{36})\"", html).group(1)
    promoted = frontend.post(f"/t/live/console/users/{user_id}/role", data={
        "csrf_token": csrf_token(found), "role": "admin"}, follow_redirects=True)
    assert "Role changed to admin." in promoted.get_data(as_text=True)
    deactivated = frontend.post(f"/t/live/console/users/{user_id}/active", data={
        "csrf_token": csrf_token(found), "active": "0"}, follow_redirects=True)
    assert "User deactivated" in deactivated.get_data(as_text=True)


def test_api_refusals_are_shown_as_messages(frontend, live):
    sign_in(frontend, live, live.owner)
    page = frontend.get("/t/live/console/users")
    taken = frontend.post("/t/live/console/users", data={
        "csrf_token": csrf_token(page), "email": "user0@live.example",
        "password": PASSWORD, "role": "user"})
    html = taken.get_data(as_text=True)
    assert taken.status_code == 422
    assert html.count("already exists") == 1 and "['" not in html
    bad = frontend.post("/t/live/console/users", data={
        "csrf_token": csrf_token(page), "email": "x" * 65 + "@live.example",
        "password": "short", "role": "user"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and html.count('class="field-error"') == 1
    assert "at most 64 characters" in html
    short = frontend.post("/t/live/console/users", data={  # the tenant's minimum, from the API
        "csrf_token": csrf_token(page), "email": "short@live.example", "password": "short",
        "role": "user"})
    html = short.get_data(as_text=True)
    assert short.status_code == 422 and html.count('class="field-error"') == 1
    assert "must be at least 12 characters" in html


def test_roles_page_creates_a_custom_role(frontend, live):
    sign_in(frontend, live, live.owner)
    page = frontend.get("/t/live/console/roles")
    name = f"auditors-{uuid.uuid4().hex[:4]}"
    created = frontend.post("/t/live/console/roles", data={
        "csrf_token": csrf_token(page), "name": name, "permissions": ["audit:read"]},
        follow_redirects=True)
    html = created.get_data(as_text=True)
    assert f"Role {name} created." in html and "(system)" in html


def test_audit_page_filters(frontend, live):
    sign_in(frontend, live, live.owner)
    page = frontend.get("/t/live/console/audit", query_string={"action": "sign_in.*"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "sign_in.succeeded" in html
    assert "<td>token.issued</td>" not in html


def test_settings_are_for_owners_only(frontend, live):
    sign_in(frontend, live, "user0@live.example")
    assert "Settings</a>" not in frontend.get("/t/live/console").get_data(as_text=True)
    assert frontend.get("/t/live/console/settings").status_code == 403


def test_owner_changes_settings(frontend, live):
    sign_in(frontend, live, live.owner)
    page = frontend.get("/t/live/console/settings")
    registration = {"dynamic_client_registration": "off",
                    "registration_grant_types": ["authorization_code", "refresh_token"],
                    "registration_scope": "openid offline_access"}
    saved = frontend.post("/t/live/console/settings", data={
        "csrf_token": csrf_token(page), "name": "Live", "access_token_lifetime": "1",
        "access_token_unit": "3600", "refresh_token_lifetime": "30",
        "refresh_token_unit": "86400", "password_min_length": "12", **registration},
        follow_redirects=True)
    html = saved.get_data(as_text=True)
    assert "Settings saved." in html and 'value="30"' in html
    bad = frontend.post("/t/live/console/settings", data={
        "csrf_token": csrf_token(page), "name": "Live", "access_token_lifetime": "5",
        "access_token_unit": "86400", "refresh_token_lifetime": "1",
        "refresh_token_unit": "86400", "password_min_length": "12", **registration})
    assert bad.status_code == 422 and "Settings saved." not in bad.get_data(as_text=True)
    assert "access_token_lifetime" not in bad.get_data(as_text=True).split("<form")[0]


def test_sign_up_page_creates_a_tenant(frontend, live):
    # Its own end-user address (a documentation-range label, no traffic goes there): the
    # Schemathesis run fills the sign-up throttle of 127.0.0.1 on the same live API.
    frontend.environ_base["REMOTE_ADDR"] = "192.0.2.10"
    page = frontend.get("/signup")
    slug = f"co-{uuid.uuid4().hex[:6]}"
    created = frontend.post("/signup", data={
        "csrf_token": csrf_token(page), "slug": slug, "name": "NewCo",
        "owner_email": "founder@newco.io", "owner_password": PASSWORD})
    assert created.status_code == 303
    assert created.headers["Location"].endswith(f"/t/{slug}/console/login")
    handoff = frontend.get_cookie("tessera_signup", path=f"/t/{slug}/login")
    assert handoff.http_only and PASSWORD not in handoff.value
    taken = frontend.post("/signup", data={
        "csrf_token": csrf_token(page), "slug": slug, "name": "NewCo",
        "owner_email": "founder@newco.io", "owner_password": PASSWORD})
    assert taken.status_code == 422 and "already exists" in taken.get_data(as_text=True)


def test_an_expired_access_token_is_refreshed_transparently(frontend, live):
    from frontend.console import sessions
    sign_in(frontend, live, live.owner)
    session_id = frontend.get_cookie("tessera_console", path="/t/live/").value
    with frontend.application.app_context():
        data = sessions.load(session_id)
        data["access_token"] = "expired.or.revoked"
        sessions.save(session_id, data)
    page = frontend.get("/t/live/console")
    assert page.status_code == 200 and "Your role: owner" in page.get_data(as_text=True)
    with frontend.application.app_context():
        assert sessions.load(session_id)["access_token"] != "expired.or.revoked"


PKCE_TICKED = re.compile(r'<input checked[^>]*name="require_pkce"')


def test_a_device_app_gets_the_device_grant_and_no_secret(frontend, live):
    sign_in(frontend, live, live.owner)
    page = frontend.get("/t/live/console/clients/new")
    name = f"TV {uuid.uuid4().hex[:4]}"
    created = frontend.post("/t/live/console/clients/new", data={
        "csrf_token": csrf_token(page), "client_name": name, "app_type": "device",
        "scope": ["openid"]}, follow_redirects=True)
    html = created.get_data(as_text=True)
    assert f"Application {name} registered." in html and "client-secret" not in html
    assert f"{live.base_url}/t/live/device_authorization" in html
    assert re.search(r'<input checked[^>]*value="urn:ietf:params:oauth:grant-type:device_code"',
                     html)


def test_client_edit_and_secret_rotation(frontend, live):
    sign_in(frontend, live, live.owner)
    page = frontend.get("/t/live/console/clients/new")
    assert PKCE_TICKED.search(page.get_data(as_text=True))  # on by default
    created = frontend.post("/t/live/console/clients/new", data={
        "csrf_token": csrf_token(page), "client_name": "Editable", "app_type": "web",
        "redirect_uris": "https://a.example/cb", "require_pkce": "y"})
    edit_path = created.headers["Location"]
    edit = frontend.get(edit_path)
    assert PKCE_TICKED.search(edit.get_data(as_text=True))
    bad = frontend.post(edit_path, data={"csrf_token": csrf_token(edit), "client_name": "E",
                                         "grant_types": ["authorization_code"],
                                         "redirect_uris": "http://evil.example/cb"})
    assert "must use https" in bad.get_data(as_text=True)
    saved = frontend.post(edit_path, data={"csrf_token": csrf_token(edit),
                                           "client_name": "Edited",
                                           "grant_types": ["authorization_code"],
                                           "redirect_uris": "https://b.example/cb"},
                          follow_redirects=True)
    assert "Application saved." in saved.get_data(as_text=True)
    legacy = frontend.get(edit_path).get_data(as_text=True)  # saved without the checkbox
    assert 'name="require_pkce"' in legacy and not PKCE_TICKED.search(legacy)
    rotated = frontend.post(f"{edit_path}/secret", data={"csrf_token": csrf_token(edit)})
    assert rotated.status_code == 303
    assert "shown only this once" in frontend.get(edit_path).get_data(as_text=True)
    assert "shown only this once" not in frontend.get(edit_path).get_data(as_text=True)


def test_client_sign_out_and_browser_fields(frontend, live):
    sign_in(frontend, live, live.owner)
    page = frontend.get("/t/live/console/clients/new")
    fields = {"csrf_token": csrf_token(page), "client_name": "Browser app", "app_type": "web",
              "scope": ["openid"], "redirect_uris": "https://c.example/cb",
              "post_logout_redirect_uris": "https://c.example/bye\nhttps://c.example/again",
              "backchannel_logout_uri": "https://c.example/backchannel",
              "backchannel_logout_session_required": "y"}
    refused = frontend.post("/t/live/console/clients/new",
                            data={**fields, "allowed_cors_origins": "https://c.example/path"})
    assert refused.status_code == 422 and "must be an origin" in refused.get_data(as_text=True)
    created = frontend.post("/t/live/console/clients/new",
                            data={**fields, "allowed_cors_origins": "https://c.example"})
    edit = frontend.get(created.headers["Location"]).get_data(as_text=True)
    assert "https://c.example/bye\nhttps://c.example/again</textarea>" in edit
    assert 'value="https://c.example/backchannel"' in edit
    assert "https://c.example</textarea>" in edit
    saved = frontend.post(created.headers["Location"], data={
        "csrf_token": csrf_token(frontend.get(created.headers["Location"])),
        "client_name": "Browser app", "grant_types": ["authorization_code"],
        "scope": ["openid"], "redirect_uris": "https://c.example/cb",
        "post_logout_redirect_uris": "", "backchannel_logout_uri": "",
        "allowed_cors_origins": ""}, follow_redirects=True)
    html = saved.get_data(as_text=True)
    assert "Application saved." in html and "https://c.example/backchannel" not in html
    assert "https://c.example/bye" not in html  # emptied fields are cleared


def test_role_edit_user_delete_and_password_change(frontend, live):
    sign_in(frontend, live, live.owner)
    roles = frontend.get("/t/live/console/roles")
    name = f"editors-{uuid.uuid4().hex[:4]}"
    frontend.post("/t/live/console/roles", data={"csrf_token": csrf_token(roles), "name": name,
                                                 "permissions": ["projects:read"]})
    page = frontend.get("/t/live/console/roles").get_data(as_text=True)
    forms = page.split('action="/t/live/console/roles/')[1:]
    role_id = next(form[:36] for form in forms if f"Save {name}" in form)
    edited = frontend.post(f"/t/live/console/roles/{role_id}", data={
        "csrf_token": csrf_token(roles), "description": "Edit projects",
        "permissions": ["projects:read", "projects:write"]}, follow_redirects=True)
    assert "Role updated." in edited.get_data(as_text=True)

    users = frontend.get("/t/live/console/users")
    email = f"gone-{uuid.uuid4().hex[:6]}@live.example"
    frontend.post("/t/live/console/users", data={"csrf_token": csrf_token(users),
                                                 "email": email, "password": PASSWORD,
                                                 "role": "user"})
    html = frontend.get("/t/live/console/users", query_string={"email": email})
    user_id = re.search(r'/users/([0-9a-f-]{36})"', html.get_data(as_text=True)).group(1)
    deleted = frontend.post(f"/t/live/console/users/{user_id}/delete",
                            data={"csrf_token": csrf_token(html)}, follow_redirects=True)
    assert f"User {email} deleted." in deleted.get_data(as_text=True)
    assert f">{email}</a>" not in deleted.get_data(as_text=True)


def test_changing_the_password_in_the_account_page(frontend, live):
    email = f"pw-{uuid.uuid4().hex[:6]}@live.example"
    sign_in(frontend, live, live.owner)
    users = frontend.get("/t/live/console/users")
    frontend.post("/t/live/console/users", data={"csrf_token": csrf_token(users),
                                                 "email": email, "password": PASSWORD,
                                                 "role": "user"})
    frontend.post("/t/live/console/logout", data={"csrf_token": csrf_token(users)})
    frontend.delete_cookie("tessera_console", path="/t/live/")
    sign_in(frontend, live, email)
    assert frontend.get("/t/live/console/account").headers["Location"].endswith(
        "/t/live/account")  # the account page has one home
    account = frontend.get("/t/live/account")
    mismatch = frontend.post("/t/live/account/password", data={
        "csrf_token": csrf_token(account), "current_password": PASSWORD,
        "password": "another long passphrase", "confirm": "another long passphrase!"})
    assert mismatch.status_code == 422
    assert "The two new passwords differ." in mismatch.get_data(as_text=True)
    wrong = frontend.post("/t/live/account/password", data={
        "csrf_token": csrf_token(account), "current_password": "not my password",
        "password": "another long passphrase", "confirm": "another long passphrase"})
    assert wrong.status_code == 422
    assert "is not your current password" in wrong.get_data(as_text=True)
    changed = frontend.post("/t/live/account/password", data={
        "csrf_token": csrf_token(account), "current_password": PASSWORD,
        "password": "another long passphrase", "confirm": "another long passphrase"},
        follow_redirects=True)
    assert "Password changed" in changed.get_data(as_text=True)


def test_an_admin_sends_a_password_reset_mail_from_the_users_page(frontend, live):
    sign_in(frontend, live, live.owner)
    users = frontend.get("/t/live/console/users", query_string={"email": "user0@"})
    user_id = re.search(r"/users/([0-9a-f-]{36})\"", users.get_data(as_text=True)).group(1)
    html = frontend.get(f"/t/live/console/users/{user_id}")
    assert f"/users/{user_id}/password-reset" in html.get_data(as_text=True)
    sent = frontend.post(f"/t/live/console/users/{user_id}/password-reset",
                         data={"csrf_token": csrf_token(html)}, follow_redirects=True)
    assert sent.request.path == f"/t/live/console/users/{user_id}"
    assert "Password-reset mail sent" in sent.get_data(as_text=True)
    assert "/t/live/reset-password?token=" in link_in(live.mailbox.wait_for("user0@live.example"))

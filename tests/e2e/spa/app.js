// A single-page app on oidc-client-ts: signs in with the code flow and PKCE, keeps its
// tokens in the browser, and calls the tenant REST API with them (CORS).
const settings = window.SPA_SETTINGS;
const mgr = new oidc.UserManager({
  authority: settings.authority,
  client_id: settings.client_id,
  redirect_uri: location.origin + "/callback.html",
  post_logout_redirect_uri: location.origin + "/index.html",
  response_type: "code",
  scope: "openid projects:read",
  userStore: new oidc.WebStorageStateStore({ store: window.localStorage }),
});

async function callApi(path, token) {
  try {
    const response = await fetch(settings.authority + "/api/v1" + path, {
      headers: { Authorization: "Bearer " + token },
    });
    return {
      status: response.status,
      challenge: response.headers.get("WWW-Authenticate"),
      body: await response.json(),
    };
  } catch (error) {
    return { blocked: String(error) };
  }
}

function settle(promise, done) {
  promise.then(() => { document.title = done; },
               (error) => { document.title = "error: " + error.message; });
}

window.spa = { mgr, callApi, settle };

// Passkey ceremonies (WebAuthn): the page asks this frontend for options, the browser asks
// the authenticator, and the answer goes back to this frontend, which hands it to the API.
// Forms marked data-passkey="register" (the account page) or "sign-in" (the sign-in page)
// do nothing without this script; elements with data-passkey-only show once it runs.
(function () {
  "use strict";

  if (!window.PublicKeyCredential || !navigator.credentials) {
    return; // no WebAuthn here: the passkey forms stay hidden
  }

  function toBytes(text) { // base64url → ArrayBuffer
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    var binary = atob(base64 + "===".slice((base64.length + 3) % 4));
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) {
      bytes[i] = binary.charCodeAt(i);
    }
    return bytes.buffer;
  }

  function toText(buffer) { // ArrayBuffer → base64url
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) {
      binary += String.fromCharCode(bytes[i]);
    }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      return Object.assign({}, item, {id: toBytes(item.id)});
    });
  }

  function creationOptions(json) {
    return Object.assign({}, json, {
      challenge: toBytes(json.challenge),
      user: Object.assign({}, json.user, {id: toBytes(json.user.id)}),
      excludeCredentials: descriptors(json.excludeCredentials)
    });
  }

  function requestOptions(json) {
    return Object.assign({}, json, {
      challenge: toBytes(json.challenge),
      allowCredentials: descriptors(json.allowCredentials)
    });
  }

  function asJSON(credential) { // PublicKeyCredential → its JSON form (WebAuthn L3 §5.1.8)
    var response = credential.response;
    var json = {id: credential.id, rawId: toText(credential.rawId), type: credential.type,
                response: {clientDataJSON: toText(response.clientDataJSON)}};
    if (response.attestationObject) {
      json.response.attestationObject = toText(response.attestationObject);
      json.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      json.response.authenticatorData = toText(response.authenticatorData);
      json.response.signature = toText(response.signature);
      if (response.userHandle) {
        json.response.userHandle = toText(response.userHandle);
      }
    }
    return json;
  }

  function post(form, url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json",
                "X-CSRFToken": form.elements.csrf_token.value},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (!response.ok) {
          throw new Error(answer.error || form.dataset.failed);
        }
        return answer;
      });
    });
  }

  function run(form, ceremony) {
    var status = form.querySelector("[role=alert]");
    var button = form.querySelector("button");
    status.hidden = true;
    button.disabled = true;
    ceremony().then(function (answer) {
      window.location.assign(answer.redirect_to);
    }).catch(function (error) {
      // NotAllowedError: the person cancelled or the authenticator timed out;
      // InvalidStateError: this authenticator holds one of the user's passkeys already.
      status.textContent = error.name === "NotAllowedError" ? form.dataset.cancelled
        : error.name === "InvalidStateError" && form.dataset.duplicate
          ? form.dataset.duplicate : error.message || form.dataset.failed;
      status.hidden = false;
      button.disabled = false;
    });
  }

  var ceremonies = {
    register: function (form) {
      var name = form.elements.name.value.trim();
      return post(form, form.dataset.options, {}).then(function (options) {
        return navigator.credentials.create({publicKey: creationOptions(options)});
      }).then(function (credential) {
        return post(form, form.action, {name: name, credential: asJSON(credential)});
      });
    },
    "sign-in": function (form) {
      var challenge = form.elements.challenge.value;
      return post(form, form.dataset.options, {challenge: challenge}).then(function (options) {
        return navigator.credentials.get({publicKey: requestOptions(options)});
      }).then(function (credential) {
        return post(form, form.action, {challenge: challenge, credential: asJSON(credential)});
      });
    }
  };

  document.querySelectorAll("[data-passkey-only]").forEach(function (element) {
    element.hidden = false;
  });
  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (form.reportValidity()) {
        run(form, function () { return ceremonies[form.dataset.passkey](form); });
      }
    });
  });
}());

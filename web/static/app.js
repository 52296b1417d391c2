// carfin portal script: progressive enhancement only. Every page works
// without it; it adds passkeys (the WebAuthn API exists only in script)
// and the idle-timeout warning.
(function () {
  "use strict";

  function b64url(buf) {
    var s = "", bytes = new Uint8Array(buf);
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function unb64url(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function creationOptions(o) {
    var pk = o.publicKey;
    pk.challenge = unb64url(pk.challenge);
    pk.user.id = unb64url(pk.user.id);
    (pk.excludeCredentials || []).forEach(function (c) { c.id = unb64url(c.id); });
    return pk;
  }
  function requestOptions(o) {
    var pk = o.publicKey;
    pk.challenge = unb64url(pk.challenge);
    (pk.allowCredentials || []).forEach(function (c) { c.id = unb64url(c.id); });
    return pk;
  }
  function credentialJSON(cred) {
    var r = cred.response, out = { id: cred.id, rawId: b64url(cred.rawId), type: cred.type, response: { clientDataJSON: b64url(r.clientDataJSON) } };
    if (r.attestationObject) {
      out.response.attestationObject = b64url(r.attestationObject);
      if (r.getTransports) out.response.transports = r.getTransports();
    } else {
      out.response.authenticatorData = b64url(r.authenticatorData);
      out.response.signature = b64url(r.signature);
      if (r.userHandle) out.response.userHandle = b64url(r.userHandle);
    }
    if (cred.authenticatorAttachment) out.authenticatorAttachment = cred.authenticatorAttachment;
    out.clientExtensionResults = cred.getClientExtensionResults ? cred.getClientExtensionResults() : {};
    return out;
  }
  function post(url, body) {
    return fetch(url, { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" }, body: body ? JSON.stringify(body) : "" })
      .then(function (res) {
        return res.json().then(function (j) {
          if (!res.ok) { var e = new Error(j.error || res.statusText); e.redirect = j.redirect; throw e; }
          return j;
        });
      });
  }
  function fail(err) {
    if (err && err.redirect) { location.assign(err.redirect); return; }
    var p = document.getElementById("passkey-error");
    if (p) { p.textContent = (err && err.message) || "Error"; p.hidden = false; }
  }
  function ceremony(button, begin, finish, kind) {
    button.addEventListener("click", function () {
      button.disabled = true;
      post(begin).then(function (opts) {
        return kind === "create" ? navigator.credentials.create({ publicKey: creationOptions(opts) })
                                 : navigator.credentials.get({ publicKey: requestOptions(opts) });
      }).then(function (cred) {
        return post(typeof finish === "function" ? finish() : finish, credentialJSON(cred));
      }).then(function (res) {
        if (res.recovery_codes) {
          sessionStorage.setItem("carfin-codes", JSON.stringify(res.recovery_codes));
        }
        location.assign(res.redirect || "/");
      }).catch(fail).finally(function () { button.disabled = false; });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (window.PublicKeyCredential) {
      document.querySelectorAll(".passkey-only").forEach(function (el) { el.hidden = false; });
      var login = document.getElementById("passkey-login");
      if (login) ceremony(login, "/login/passkey/begin", "/login/passkey/finish?next=" + encodeURIComponent(login.dataset.next || "/"), "get");
      var second = document.getElementById("passkey-2fa");
      if (second) ceremony(second, "/login/2fa/passkey/begin", function () {
        var rem = document.getElementById("remember-passkey");
        return "/login/2fa/passkey/finish?next=" + encodeURIComponent(second.dataset.next || "/") + (rem && rem.checked ? "&remember=on" : "");
      }, "get");
      var add = document.getElementById("passkey-add");
      if (add) ceremony(add, "/security/passkeys/begin", function () {
        var name = document.getElementById("passkey-name");
        return "/security/passkeys/finish?name=" + encodeURIComponent(name ? name.value : "");
      }, "create");
    }

    // Recovery codes made with a first passkey are shown once.
    var codes = sessionStorage.getItem("carfin-codes");
    if (codes && location.pathname === "/security") {
      sessionStorage.removeItem("carfin-codes");
      var list = JSON.parse(codes), ul = document.createElement("ul");
      ul.className = "codes";
      list.forEach(function (c) { var li = document.createElement("li"), code = document.createElement("code"); code.textContent = c; li.appendChild(code); ul.appendChild(li); });
      var h = document.getElementById("h-passkeys");
      if (h) h.parentNode.insertBefore(ul, h.nextSibling);
    }

    // Idle warning: a minute before the session would end, open the
    // warning page (which offers "Stay signed in").
    var idle = parseInt(document.body.dataset.idleSeconds || "0", 10);
    if (idle > 60) {
      setTimeout(function () {
        location.assign("/session/idle?next=" + encodeURIComponent(location.pathname + location.search));
      }, (idle - 60) * 1000);
    }
    var text = document.getElementById("idle-text");
    if (text && text.dataset.deadline) {
      var left = Date.parse(text.dataset.deadline) - Date.now();
      setTimeout(function () { location.assign("/login?timeout=1"); }, Math.max(left, 0) + 1000);
    }
  });
})();

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

  // idleWarning warns a minute before the server ends the session, in a
  // modal dialog over the page, so that nothing typed in it is lost. Only
  // the server knows when that is: it records activity at most once a
  // minute, another tab may have been used since this page loaded, and
  // the 12-hour limit comes whatever the activity. So the page asks it
  // (GET /session/remaining, which is not activity: asking must not keep
  // a forgotten page signed in), and asks again before showing the
  // dialog and while it is open. "Stay signed in" (or Escape) extends the
  // session with a same-origin POST to /session/extend (the server
  // refuses cross-site POSTs by their Sec-Fetch-Site and Origin headers);
  // "Sign out" is the ordinary sign-out form. When no time is left the
  // page goes to sign-in, which says why and returns here afterwards.
  // t holds the dialog's words in the page's language (layout.html).
  var idleWarnSeconds = 60, idleRecheckSeconds = 15, idleRetrySeconds = 30;
  function idleWarning(t, firstCheck) {
    var dialog, textEl, leftEl, errorEl, stay, signout, returnFocus;
    var timer = 0, tick = 0, deadline = 0, extending = false;
    var here = location.pathname + location.search;

    function ask(url, method) {
      return fetch(url, { method: method, credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
        .then(function (res) { return res.json().then(function (j) { j.status = res.status; return j; }); });
    }
    function toLogin(ended) {
      location.assign("/login?ended=" + encodeURIComponent(ended || "idle") + "&next=" + encodeURIComponent(here));
    }
    function later(seconds) {
      clearTimeout(timer);
      timer = setTimeout(check, Math.max(seconds, 1) * 1000);
    }
    function check() {
      clearTimeout(timer);
      ask("/session/remaining", "GET").then(apply, function () { later(idleRetrySeconds); });
    }
    function apply(j) {
      if (j.status === 401) { toLogin(j.ended); return; }
      if (j.status !== 200) {
        if (dialog && dialog.open) errorEl.hidden = false;
        later(idleRetrySeconds);
        return;
      }
      if (j.seconds > idleWarnSeconds) { hide(); later(j.seconds - idleWarnSeconds); return; }
      if (j.seconds <= 0) { later(1); return; } // the server's last second
      show(j.seconds, j.absolute);
    }
    function el(tag, text, id) {
      var e = document.createElement(tag);
      if (text) e.textContent = text;
      if (id) e.id = id;
      return e;
    }
    function build() {
      dialog = el("dialog", "", "idle-dialog");
      dialog.setAttribute("aria-labelledby", "idle-dialog-title");
      dialog.setAttribute("aria-describedby", "idle-dialog-text");
      textEl = el("p", "", "idle-dialog-text");
      // role=timer: read when asked, not announced every second.
      leftEl = el("p", "", "idle-dialog-left");
      leftEl.setAttribute("role", "timer");
      errorEl = el("p", t.failed, "idle-dialog-error");
      errorEl.className = "field-error";
      errorEl.setAttribute("role", "alert");
      errorEl.hidden = true;
      stay = el("button", t.stay, "idle-stay");
      stay.type = "button";
      stay.className = "primary";
      stay.addEventListener("click", extend);
      var form = el("form");
      form.method = "post";
      form.action = "/logout";
      signout = el("button", t.signout, "idle-signout");
      signout.type = "submit";
      form.appendChild(signout);
      var actions = el("div");
      actions.className = "row actions";
      actions.append(stay, form);
      dialog.append(el("h2", t.title, "idle-dialog-title"), textEl, leftEl, errorEl, actions);
      // Escape: whoever pressed it is here.
      dialog.addEventListener("cancel", function (e) { e.preventDefault(); if (!stay.hidden) extend(); });
      document.body.appendChild(dialog);
    }
    function countdown() {
      var s = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
      leftEl.textContent = (s === 1 ? t.left_one : t.left_other).replace("%d", s);
      if (s === 0) { clearInterval(tick); check(); }
    }
    function show(seconds, absolute) {
      if (!dialog) build();
      deadline = Date.now() + seconds * 1000;
      textEl.textContent = absolute ? t.absolute : t.text;
      stay.hidden = !!absolute; // nothing moves the 12-hour limit
      if (!dialog.open) {
        errorEl.hidden = true;
        returnFocus = document.activeElement;
        dialog.showModal();
        (absolute ? signout : stay).focus();
      }
      clearInterval(tick);
      tick = setInterval(countdown, 1000);
      countdown();
      later(Math.min(idleRecheckSeconds, seconds)); // another tab may extend it
    }
    function hide() {
      clearInterval(tick);
      if (dialog && dialog.open) {
        dialog.close();
        if (returnFocus && returnFocus.focus) returnFocus.focus();
      }
    }
    function extend() {
      if (extending) return;
      extending = true;
      errorEl.hidden = true;
      ask("/session/extend", "POST").then(function (j) { extending = false; apply(j); },
        function () { extending = false; errorEl.hidden = false; });
    }

    // Timers sleep with the tab or the computer: ask again on return.
    document.addEventListener("visibilitychange", function () { if (!document.hidden) check(); });
    window.addEventListener("pageshow", function (e) { if (e.persisted) check(); });
    // The page says when to ask first: two minutes before the earliest
    // the session can end by what the server knew when it made the page
    // (no request on every page view).
    later(firstCheck);
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

    // Idle warning: a dialog over the page a minute before the session
    // ends (idleWarning). The warning page (/session/idle) is the same
    // warning without script; opened there, it only leaves for sign-in
    // at its deadline.
    var text = document.getElementById("idle-text");
    if (text && text.dataset.deadline) {
      var left = Date.parse(text.dataset.deadline) - Date.now();
      setTimeout(function () { location.assign("/login?ended=idle"); }, Math.max(left, 0) + 1000);
    } else if (document.body.dataset.idleTexts && window.fetch && window.HTMLDialogElement) {
      idleWarning(JSON.parse(document.body.dataset.idleTexts), parseInt(document.body.dataset.idleCheck || "1", 10));
    }
  });
})();

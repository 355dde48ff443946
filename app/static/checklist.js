/* Keeps every checklist answer until the server has acknowledged it.
 *
 * Each change gets an idempotency key; retries after a network failure reuse it, so the
 * server never stores an answer twice. Unacknowledged answers are kept in IndexedDB
 * (window.hphKept, tablet.js), encrypted for their user, and sent again after a reload, when the connection returns, or
 * after the same user signs in again when the session had ended.
 */
(function () {
  "use strict";
  var root = document.querySelector(".checklist[data-instance]");
  if (!root) { return; }
  // Kept per user: after a session ends, only the same user's next session sends them.
  var storeKey = "hph-pending-" + root.getAttribute("data-user") + "-" +
    root.getAttribute("data-instance");
  var retryDelays = [1000, 2000, 4000, 8000, 15000, 30000];

  // Kept answers are encrypted (AES-GCM) with a key that only this user's own pages carry
  // (data-tablet-key): while another user is signed in on the tablet they cannot be read.
  // The page works on them in memory; IndexedDB holds only ciphertext. Without WebCrypto
  // (a page not served over HTTPS) they are kept in memory only, never in plain text.
  var memory = {};
  var cryptoKey = null;
  var writes = Promise.resolve();
  function b64(buffer) { return btoa(String.fromCharCode.apply(null, new Uint8Array(buffer))); }
  function unb64(text) {
    return Uint8Array.from(atob(text), function (c) { return c.charCodeAt(0); });
  }
  function load() {
    return window.hphKept.get(storeKey).then(function (box) {
      if (!box) { return null; }
      return crypto.subtle.decrypt({ name: "AES-GCM", iv: unb64(box.iv) }, cryptoKey, unb64(box.data))
        .then(function (plain) { memory = JSON.parse(new TextDecoder().decode(plain)); });
    });
  }
  var ready = (function () {
    var raw = root.getAttribute("data-tablet-key");
    if (!raw || !(window.crypto && crypto.subtle)) { return Promise.resolve(); }
    return crypto.subtle.importKey("raw", unb64(raw), "AES-GCM", false, ["encrypt", "decrypt"])
      .then(function (key) { cryptoKey = key; return load(); })
      .catch(function () { memory = {}; });
  })();
  function pending() { return Object.assign({}, memory); }
  // Writes are chained, so the stored copy always ends as the last map given; "writes"
  // resolves once IndexedDB has committed it (a request waits for that, see htmx:confirm).
  function savePending(map) {
    memory = map;
    var text = JSON.stringify(map);
    var empty = !Object.keys(map).length;
    writes = writes.then(function () {
      if (empty) { return window.hphKept.remove(storeKey); }
      if (!cryptoKey) { return null; }
      var iv = crypto.getRandomValues(new Uint8Array(12));
      return crypto.subtle.encrypt({ name: "AES-GCM", iv: iv }, cryptoKey,
        new TextEncoder().encode(text)).then(function (data) {
        return window.hphKept.put(storeKey, { iv: b64(iv), data: b64(data) });
      });
    }).catch(function () { return null; });
  }
  function itemForm(el) { return el && el.closest ? el.closest("form.item") : null; }
  function newKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }
  function entries(form) {
    var list = [];
    new FormData(form).forEach(function (value, name) {
      if (["idempotency_key", "version", "csrftoken"].indexOf(name) < 0) { list.push([name, value]); }
    });
    return list;
  }
  function setState(form, text, cls) {
    var state = form.querySelector(".save-state");
    if (state) { state.innerHTML = ""; var span = document.createElement("span");
      span.className = cls; span.textContent = text; state.appendChild(span); }
  }
  function restore(form, saved) {
    form.querySelectorAll("input[type=radio], input[type=checkbox]").forEach(function (input) {
      input.checked = saved.entries.some(function (e) { return e[0] === input.name && e[1] === input.value; });
    });
    form.querySelectorAll("input[type=text], input[type=date], textarea").forEach(function (input) {
      var found = saved.entries.filter(function (e) { return e[0] === input.name; });
      input.value = found.length ? found[found.length - 1][1] : "";
    });
    form.querySelector("[name=idempotency_key]").value = saved.key;
    form.querySelector("[name=version]").value = saved.version;
  }

  // A new answer: give it a key and remember it until the server says it is saved.
  document.addEventListener("change", function (event) {
    var form = itemForm(event.target);
    if (!form) { return; }
    // A field replaced while it had focus reports a change with what was just sent: no new
    // answer (htmx sends nothing for it), so nothing new to keep.
    if (form.dataset.sentEntries === JSON.stringify(entries(form))) { return; }
    var key = newKey();
    form.querySelector("[name=idempotency_key]").value = key;
    var kept = { key: key, version: form.querySelector("[name=version]").value, entries: entries(form) };
    ready.then(function () {
      var map = pending();
      map[form.getAttribute("data-item")] = kept;
      savePending(map);
    });
    form.dataset.attempt = "0";
    setState(form, root.dataset.savingText || "…", "saving");
  }, true);

  // An answer leaves only once it is kept on the tablet, so a redirect to sign-in (401)
  // cannot outrun the write.
  document.body.addEventListener("htmx:confirm", function (event) {
    if (!itemForm(event.detail.elt)) { return; }
    event.preventDefault();
    ready.then(function () { return writes; }).then(function () {
      event.detail.issueRequest(true);
    });
  });

  function scheduleRetry(form) {
    var attempt = parseInt(form.dataset.attempt || "0", 10);
    form.dataset.attempt = String(attempt + 1);
    document.getElementById("offline").hidden = false;
    setState(form, root.dataset.retryText || "!", "error");
    setTimeout(function () {
      if (document.body.contains(form)) { htmx.trigger(form, "retry"); }
    }, retryDelays[Math.min(attempt, retryDelays.length - 1)]);
  }

  document.body.addEventListener("htmx:sendError", function (event) {
    var form = itemForm(event.detail.elt);
    if (form) { scheduleRetry(form); }
  });
  document.body.addEventListener("htmx:responseError", function (event) {
    var form = itemForm(event.detail.elt);
    if (form && event.detail.xhr.status >= 500) { scheduleRetry(form); }
    // 401: the session has ended. The answer stays kept; the server sends the page to sign-in
    // and back here (HX-Redirect), and the page sends it again with the same key.
    if (form && event.detail.xhr.status === 401) {
      setState(form, root.dataset.signInText || "!", "error");
    }
  });
  // Which key each request carries: a newer answer given while it was in flight is kept
  // under a newer key, and must not be let go when the older one is acknowledged.
  document.body.addEventListener("htmx:configRequest", function (event) {
    var form = itemForm(event.detail.elt);
    if (!form) { return; }
    form.dataset.sentKey = form.querySelector("[name=idempotency_key]").value;
    form.dataset.sentEntries = JSON.stringify(entries(form));
  });
  // htmx:beforeSwap, not afterRequest: after the swap the old form is out of the document and
  // its events no longer reach the body, so the kept answer would never be let go.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var form = itemForm(event.detail.elt || event.target);
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (!form || status === 0 || status >= 500) { return; }
    var itemId = form.getAttribute("data-item");
    var sent = form.dataset.sentKey;
    // The server answered (saved, or told us why not): that answer is no longer in flight.
    ready.then(function () {
      var map = pending();
      var kept = map[itemId];
      if (kept && kept.key !== sent && status === 200) {
        // A newer answer waits (its queued request went with the replaced form): send it on
        // the version just saved.
        setTimeout(function () {
          var fresh = document.getElementById("item-" + itemId);
          if (!fresh) { return; }
          kept.version = fresh.querySelector("[name=version]").value;
          restore(fresh, kept);
          htmx.trigger(fresh, "retry");
        }, 0);
        return;
      }
      delete map[itemId];
      savePending(map);
      sendClosing();
    });
    document.getElementById("offline").hidden = true;
  });

  // "Save mine instead" after a conflict: put my answer back and send it on the new version.
  document.body.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest(".keep-mine") : null;
    if (!button) { return; }
    var form = itemForm(button);
    var mine = JSON.parse(button.getAttribute("data-mine"));
    var values = Array.isArray(mine) ? mine : [mine];
    var saved = { key: newKey(), version: form.querySelector("[name=version]").value, entries: [] };
    values.forEach(function (v) {
      if (v === null) { return; }
      if (v === "not_relevant" && !form.querySelector("input[name=value][value=not_relevant]")) {
        saved.entries.push(["not_relevant", "1"]);
      } else { saved.entries.push(["value", String(v)]); }
    });
    restore(form, saved);
    ready.then(function () {
      var map = pending(); map[form.getAttribute("data-item")] = saved; savePending(map);
      htmx.trigger(form, "retry");
    });
  });

  // Completing or marking not applicable: kept like an answer (key "__close"), and sent once
  // every answer is acknowledged, with its own idempotency key, so sending it again is a
  // replay. What the server refuses (a required item missing, closed meanwhile) is shown by
  // posting the form once more as a page, the server's own answer.
  var CLOSE = "__close";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("closing") || form.dataset.native) { return; }
    event.preventDefault();
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrftoken") { fields.push([name, value]); }
    });
    var closing = { action: form.getAttribute("action"), key: newKey(), fields: fields };
    ready.then(function () {
      var map = pending(); map[CLOSE] = closing; savePending(map);
      showClosing(closing);
      sendClosing();
    });
  }, true);
  function showClosing(closing) {
    var note = document.getElementById("closing-kept");
    if (!note) { return; }
    note.hidden = !closing;
    note.textContent = closing ? (root.dataset.closingText || "…") : "";
    document.querySelectorAll("form.closing button").forEach(function (b) { b.disabled = !!closing; });
  }
  var closingInFlight = false;
  var closingAttempts = 0;
  function sendClosing() {
    var map = pending();
    var closing = map[CLOSE];
    if (!closing || closingInFlight) { return; }
    if (Object.keys(map).some(function (k) { return k !== CLOSE; })) { return; }
    var form = document.querySelector("form.closing[action='" + closing.action + "']");
    if (!form) { return; }
    var body = new URLSearchParams();
    closing.fields.forEach(function (f) { if (f[0] !== "idempotency_key") { body.append(f[0], f[1]); } });
    body.append("idempotency_key", closing.key);
    var token = form.querySelector("[name=csrftoken]").value;
    body.append("csrftoken", token);
    closingInFlight = true;
    fetch(closing.action, {
      method: "POST", body: body, credentials: "same-origin", headers: { "x-csrftoken": token }
    }).then(function (response) {
      closingInFlight = false;
      var path = new URL(response.url).pathname;
      if (response.redirected && path === "/sign-in") {
        location.href = "/sign-in?reason=kept&next=" + encodeURIComponent(location.pathname);
        return;
      }
      var left = pending(); delete left[CLOSE]; savePending(left);
      writes.then(function () {
        if (response.ok && response.redirected) { location.href = response.url; return; }
        // Refused: the server's page says why (same key, so nothing is recorded twice).
        closing.fields.forEach(function (f) {
          var input = form.querySelector("[name=" + f[0] + "]");
          if (input) { input.value = f[0] === "idempotency_key" ? closing.key : f[1]; }
        });
        form.dataset.native = "1";
        form.submit();
      });
    }).catch(function () {
      // No network: try again later, like an answer (the online event alone is not reliable).
      closingInFlight = false;
      document.getElementById("offline").hidden = false;
      setTimeout(sendClosing, retryDelays[Math.min(closingAttempts++, retryDelays.length - 1)]);
    });
  }

  // After a reload: send whatever the server never acknowledged.
  document.addEventListener("DOMContentLoaded", function () {
    ready.then(replay);
  });
  function replay() {
    var map = pending();
    if (map[CLOSE]) { showClosing(map[CLOSE]); sendClosing(); }
    Object.keys(map).forEach(function (itemId) {
      var form = document.getElementById("item-" + itemId);
      if (!form || form.tagName !== "FORM") { return; }  // read-only, computed: nothing to send
      restore(form, map[itemId]);
      htmx.trigger(form, "retry");
    });
  }
  // The banner follows the real state: the browser's own events, failed and answered requests.
  if (navigator.onLine === false) { document.getElementById("offline").hidden = false; }
  window.addEventListener("offline", function () {
    document.getElementById("offline").hidden = false;
  });
  window.addEventListener("online", function () {
    document.getElementById("offline").hidden = true;
    ready.then(function () {
      document.querySelectorAll("form.item").forEach(function (form) {
        if (pending()[form.getAttribute("data-item")]) { htmx.trigger(form, "retry"); }
      });
      sendClosing();
    });
  });
})();

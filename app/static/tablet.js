/* The shared tablet: nothing of one user is left for the next.
 *
 * Answers not yet acknowledged by the server are kept in localStorage under the user's id
 * (see checklist.js). Signing out while some are kept is refused, with the checklists that
 * hold them, because after sign-out they could only be sent by this user signing in again.
 * When nothing is kept, sign-out also clears whatever this user left in the browser's
 * storage (localStorage, sessionStorage and the pages the service worker kept in Cache
 * Storage); the sign-in page deletes those caches too, whoever left them (an ended session).
 * htmx keeps no page snapshots (historyCacheSize 0 in base.html).
 */
(function () {
  "use strict";
  var user = document.body.getAttribute("data-user");
  if (!user) {
    // The sign-in page (signed out, or the session ended): no page of the previous user stays.
    if (location.pathname === "/sign-in") { clearCaches(); }
    return;
  }
  var prefix = "hph-pending-" + user + "-";
  keepTheDay();
  watchIdle();

  function unsentChecklists() {
    var ids = [];
    for (var i = 0; i < localStorage.length; i++) {
      var key = localStorage.key(i);
      if (key && key.indexOf(prefix) === 0) {
        try {
          if (Object.keys(JSON.parse(localStorage.getItem(key) || "{}")).length) {
            ids.push(key.slice(prefix.length));
          }
        } catch (e) { ids.push(key.slice(prefix.length)); }
      }
    }
    return ids;
  }

  function refuse(form, ids) {
    var box = document.getElementById("sign-out-refused");
    box.hidden = false;
    var list = box.querySelector("ul");
    list.innerHTML = "";
    ids.forEach(function (id) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = "/checklists/" + encodeURIComponent(id);
      link.textContent = (box.getAttribute("data-link-text") || "") + " " + id;
      item.appendChild(link);
      list.appendChild(item);
    });
    box.focus();
  }

  // Everything goes but other users' kept answers (only they can send them, after signing in).
  function forgetUser() {
    var keys = [];
    for (var i = 0; i < localStorage.length; i++) {
      var key = localStorage.key(i);
      if (key && (key.indexOf("hph-pending-") !== 0 || key.indexOf(prefix) === 0)) {
        keys.push(key);
      }
    }
    keys.forEach(function (key) { localStorage.removeItem(key); });
    try { sessionStorage.clear(); } catch (e) { /* nothing kept there */ }
    return clearCaches();
  }

  // Every cache but the app shell (scripts, styles and the offline page: no user, no patient).
  function clearCaches() {
    if (!(window.caches && caches.keys)) { return Promise.resolve(null); }
    return caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) { return name !== "hph-static"; })
        .map(function (name) { return caches.delete(name); }));
    }).catch(function () { return null; });
  }

  // The idle limit, on the tablet too: the server ends an idle session, but a page kept for
  // offline use would still open. Once the limit has passed untouched, the kept pages go and
  // the tablet shows the sign-in page (kept answers stay, encrypted for their user).
  function watchIdle() {
    var limit = parseFloat(document.body.getAttribute("data-idle-minutes") || "0") * 60000;
    if (!limit) { return; }
    var last = Date.now();
    ["pointerdown", "keydown", "touchstart", "input"].forEach(function (name) {
      document.addEventListener(name, function () { last = Date.now(); }, true);
    });
    setInterval(function () {
      if (Date.now() - last < limit) { return; }
      var next = location.pathname + location.search;
      try { sessionStorage.clear(); } catch (e) { /* nothing kept there */ }
      clearCaches().then(function () {
        location.href = "/sign-in?reason=ended&next=" + encodeURIComponent(next);
      });
    }, Math.min(30000, limit / 4));
  }

  // The service worker (/sw.js) keeps "My day" and its checklists while online; on "My day"
  // each checklist is fetched once through it, so that it opens without network later.
  function keepTheDay() {
    if (!("serviceWorker" in navigator)) { return; }
    navigator.serviceWorker.register("/sw.js").catch(function () { return null; });
    if (location.pathname !== "/my-day") { return; }
    var links = Array.prototype.map.call(
      document.querySelectorAll("a[href^='/checklists/']"), function (a) { return a.getAttribute("href"); });
    links.unshift("/my-day");  // this page too: its first load may have come before the worker
    function fetchAll() {
      links.reduce(function (done, href) {
        return done.then(function () {
          return fetch(href, { credentials: "same-origin" }).catch(function () { return null; });
        });
      }, Promise.resolve()).then(function () { document.body.setAttribute("data-day-kept", "1"); });
    }
    if (navigator.serviceWorker.controller) { fetchAll(); return; }
    navigator.serviceWorker.addEventListener("controllerchange", fetchAll, { once: true });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("sign-out")) { return; }
    if (form.dataset.cleared === "1") { return; }
    event.preventDefault();
    var ids = unsentChecklists();
    if (ids.length) { refuse(form, ids); return; }
    forgetUser().then(function () { form.dataset.cleared = "1"; form.submit(); });
  }, true);
})();

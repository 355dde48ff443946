/* The shared tablet: nothing of one user is left for the next.
 *
 * Answers not yet acknowledged by the server are kept in IndexedDB (database "hph-tablet"),
 * encrypted, under the user's id (see checklist.js). Signing out while some are kept is
 * refused, with the checklists that hold them, because after sign-out they could only be
 * sent by this user signing in again. When nothing is kept, sign-out also clears whatever
 * this user left in the browser's storage (IndexedDB, localStorage, sessionStorage and the
 * pages the service worker kept in Cache Storage); the sign-in page deletes those caches
 * too, whoever left them (an ended session). htmx keeps no page snapshots (historyCacheSize
 * 0 in base.html).
 */

/* The tablet's queue of unsent answers: one IndexedDB object store, keyed like
 * "hph-pending-<user>-<checklist>", each value the ciphertext {iv, data} that checklist.js
 * writes. IndexedDB, not localStorage: it is the browser's store meant to outlive reloads and
 * to be written without blocking the page. Older versions kept the queue in localStorage; it
 * is moved here once, on the first page load, so no answer they kept is lost.
 */
window.hphKept = (function () {
  "use strict";
  var NAME = "hph-tablet";
  var STORE = "pending";
  var LEGACY = "hph-pending-";
  var opening = null;

  function settle(request) {
    return new Promise(function (resolve, reject) {
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }
  // Opened once per page; a missing store (a database made by something else) is added by a
  // version upgrade rather than failing every write.
  function connect(version) {
    var request = version ? indexedDB.open(NAME, version) : indexedDB.open(NAME);
    request.onupgradeneeded = function () {
      if (!request.result.objectStoreNames.contains(STORE)) { request.result.createObjectStore(STORE); }
    };
    return settle(request).then(function (db) {
      if (!db.objectStoreNames.contains(STORE)) {
        var next = db.version + 1;
        db.close();
        return connect(next);
      }
      // Sign-out deletes the database: let it, and open a new one when next needed.
      db.onversionchange = function () { db.close(); opening = null; };
      return db;
    });
  }
  function open() {
    if (!window.indexedDB) { return Promise.reject(new Error("no IndexedDB")); }
    if (!opening) {
      opening = connect().then(migrate);
      opening.catch(function () { opening = null; });
    }
    return opening;
  }
  // One transaction; resolves with the request's result once it is committed.
  function run(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var request = work(tx.objectStore(STORE));
        tx.oncomplete = function () { resolve(request ? request.result : undefined); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }
  function legacyKeys() {
    var keys = [];
    try {
      for (var i = 0; i < localStorage.length; i++) {
        var key = localStorage.key(i);
        if (key && key.indexOf(LEGACY) === 0) { keys.push(key); }
      }
    } catch (e) { /* no localStorage: nothing to move */ }
    return keys;
  }
  // The old queue moves as it is (still ciphertext: no key is needed to move it). An entry
  // already in IndexedDB was written by this version, so it is the newer one and stays.
  function migrate(db) {
    var keys = legacyKeys();
    if (!keys.length) { return db; }
    return new Promise(function (resolve, reject) {
      var tx = db.transaction(STORE, "readwrite");
      var store = tx.objectStore(STORE);
      keys.forEach(function (key) {
        var box;
        try { box = JSON.parse(localStorage.getItem(key)); } catch (e) { box = null; }
        if (!box || !box.iv || !box.data) { return; }
        store.add(box, key).onerror = function (event) { event.preventDefault(); };
      });
      // Removed from localStorage only once IndexedDB holds them.
      tx.oncomplete = function () {
        keys.forEach(function (key) { localStorage.removeItem(key); });
        resolve(db);
      };
      tx.onerror = tx.onabort = function () { reject(tx.error); };
    });
  }
  function keysWith(prefix) {
    return run("readonly", function (store) {
      return store.getAllKeys(IDBKeyRange.bound(prefix, prefix + "\uffff"));
    });
  }
  return {
    get: function (key) { return run("readonly", function (store) { return store.get(key); }); },
    put: function (key, box) { return run("readwrite", function (store) { return store.put(box, key); }); },
    remove: function (key) { return run("readwrite", function (store) { return store.delete(key); }); },
    keysWith: keysWith,
    // Only when old answers wait: a page with nothing to move creates no database.
    migrate: function () { return legacyKeys().length ? open() : Promise.resolve(null); },
    // This user's entries go; with no other user's left, the whole database goes too.
    forget: function (prefix) {
      return run("readwrite", function (store) {
        return store.delete(IDBKeyRange.bound(prefix, prefix + "\uffff"));
      }).then(function () { return run("readonly", function (store) { return store.count(); }); })
        .then(function (left) {
          if (left) { return null; }
          return open().then(function (db) {
            db.close();
            opening = null;
            return settle(indexedDB.deleteDatabase(NAME));
          });
        });
    }
  };
})();

(function () {
  "use strict";
  var user = document.body.getAttribute("data-user");
  // On any page, signed in or not: answers an older version kept move to IndexedDB.
  window.hphKept.migrate().catch(function () { return null; });
  if (!user) {
    // The sign-in page (signed out, or the session ended): no page of the previous user stays.
    if (location.pathname === "/sign-in") { clearCaches(); }
    return;
  }
  var prefix = "hph-pending-" + user + "-";
  keepTheDay();
  watchIdle();

  // The checklists holding this user's kept answers (an entry exists only while some wait).
  // Without IndexedDB nothing could be kept there, so nothing holds the sign-out back.
  function unsentChecklists() {
    return window.hphKept.keysWith(prefix).then(function (keys) {
      return keys.map(function (key) { return key.slice(prefix.length); });
    }, function () { return []; });
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

  // Everything goes but other users' kept answers (only they can send them, after signing in):
  // this user's IndexedDB entries, and whatever older versions left in localStorage.
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
    var kept = window.hphKept.forget(prefix).catch(function () { return null; });
    return Promise.all([kept, clearCaches()]);
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
    unsentChecklists().then(function (ids) {
      if (ids.length) { refuse(form, ids); return null; }
      return forgetUser().then(function () { form.dataset.cleared = "1"; form.submit(); });
    });
  }, true);
})();

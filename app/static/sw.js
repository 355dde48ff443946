/* HPH Tracker's service worker: the nurse's day keeps opening when the network is gone.
 *
 * While online, "My day" and the checklists it links to are fetched from the network and a
 * copy is kept in Cache Storage ("hph-pages"); without network the copy is shown. The app's
 * scripts and styles are kept the same way ("hph-static"). Only plain page loads of a
 * signed-in user are kept (no redirect to sign-in, no htmx fragment). Answers are not kept
 * here: the page keeps them, encrypted for their user (checklist.js). At sign-out and on
 * the sign-in page every cache is deleted (tablet.js), so the next user finds none.
 */
importScripts("/static/vendor/workbox-7.4.1.sw.js");

var DAY_PAGE = /^\/(my-day|checklists\/\d+)$/;
var onlyGoodPages = {
  cacheWillUpdate: function (options) {
    var response = options.response;
    return Promise.resolve(response && response.status === 200 && !response.redirected ? response : null);
  }
};

workbox.registerRoute(function (options) {
  var request = options.request;
  return request.method === "GET" && options.url.origin === self.location.origin &&
    DAY_PAGE.test(options.url.pathname) && !request.headers.get("HX-Request");
}, new workbox.NetworkFirst({ cacheName: "hph-pages", networkTimeoutSeconds: 5, plugins: [onlyGoodPages] }));

workbox.registerRoute(function (options) {
  return options.url.origin === self.location.origin && options.url.pathname.indexOf("/static/") === 0;
}, new workbox.NetworkFirst({ cacheName: "hph-static", plugins: [onlyGoodPages] }));

// The app shell: what every page of the day needs, kept at install.
var SHELL = [
  "/static/app.css", "/static/goals.css", "/static/vendor/htmx-2.0.11.min.js",
  "/static/checklist.js", "/static/tablet.js", "/offline"
];
// Any other page without network: the offline page (kept at install), not the browser's error.
workbox.registerRoute(function (options) {
  return options.request.mode === "navigate" && options.url.origin === self.location.origin &&
    !DAY_PAGE.test(options.url.pathname);
}, function (options) {
  return fetch(options.request).catch(function () {
    return caches.match("/offline").then(function (page) { return page || Response.error(); });
  });
});

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open("hph-static").then(function (cache) { return cache.addAll(SHELL); })
    .then(function () { return self.skipWaiting(); }));
});
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

// The parts of Workbox the service worker (app/static/sw.js) uses, bundled into one file:
// app/static/vendor/workbox-<version>.sw.js (see `make vendor`).
export { registerRoute } from "workbox-routing";
export { CacheFirst, NetworkFirst } from "workbox-strategies";

"""The tablet offline: the service worker that keeps the day's pages (DESIGN.md §10)."""

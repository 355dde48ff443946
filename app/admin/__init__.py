"""Administration and account life: networks, organisations, teams, people and their links.

A room of its own (not app/org): app/org answers "who is this viewer and what may they see" on
every request, while this room changes who is who. It is the only writer of the organisation
tables after the demo, serves the admin pages, /api/v1/admin and the `hph org` / `hph users`
commands alike, and keeps the invitation links and the audit of every change together.
"""

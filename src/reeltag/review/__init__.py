"""Staff review: the store (SQLite, append-only events; its one writer), queue, pages, export to company labels.

Modules: ``store`` (the one writer of ``data/review/review.db``), ``state`` (what an item's events amount to),
``queue`` (leases, actions, submit, undo), ``typed`` (a typed tag normalised), ``identity`` (a reviewer name
claimed once, a signed cookie, CSRF tokens), ``pages`` + ``app`` + ``server`` (Jinja2 + vendored htmx, FastAPI; the
app for a project), ``media`` (media type from a sniffed container, can the browser play it, else a frame strip), ``export``
(decided items → labels), ``steps`` (``add_to_review``: videos with the champion's suggestions). The report's staff
review evidence is :mod:`reeltag.report.staff_review`; the demo's simulated reviewer :mod:`reeltag.demo.simulated_reviewer`.
"""

"""Staff review: the store (SQLite, append-only events), queue, page, export to company labels, report evidence."""

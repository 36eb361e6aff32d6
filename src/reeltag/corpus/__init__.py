"""Posts → the corpus store → hashtag sentences.

Modules: ``posts`` (read JSONL/CSV/TXT, streaming), ``tags`` (extract and normalise hashtags: the one rule set),
``ingestion`` (the engine: new posts → Parquet parts, de-duplicated), ``store`` (the Parquet store and its
watermarks; the only pyarrow import besides the steps), ``sentences`` (contract frames, sentences, the held-out
split), ``repair`` (``reeltag corpus repair``), ``steps`` (``ingest_posts``, ``validate_corpus``, ``read_sentences``).
"""

"""CLIPRerank: TREC formats, frame-level CLIP scoring, retrieval metrics, α tuning and its gate.

Modules: ``formats`` (TREC runs, qrels, sampled qrels, topics, manifests), ``scoring`` (pure: frame similarities,
pooling, ``blend`` = α·M + (1−α)·S), ``apply`` (a whole run), ``metrics`` + ``inferred`` (AP, nDCG, NIST's inferred
measures), ``tuning`` (cross-validated setting), ``model`` (the registered reranker), ``catalogue`` (a catalogue's
features as one matrix) + ``catalogue_loader`` (from the cache, for the API), ``gate`` (baseline, gate,
registration), ``steps`` (``rerank_run``, ``evaluate_run``, ``tune_rerank``, ``compare_runs``).
"""

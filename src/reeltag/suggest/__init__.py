"""A video's tags: the one ranking path that ``reeltag suggest``, ``review add`` and ``/v1/suggest`` share.

Modules: ``steps`` (``suggest_tags``: frames → champion mapper → ranked tags, with its result records),
``ranking`` (``rank_videos``: fused when a usable ``reeltag.fusion`` champion exists, else the mapper alone),
``fusion`` (pure: the learned ranker over the branches and the branch credited for each tag), ``fusion_fit``
(``fit_fusion``/``refit_fusion`` and the branch scores), ``out_of_fold`` (out-of-fold visual scores to fit on),
``fusion_model`` (the fitted fusion as a registered model: log, gate, load). No heavy library of its own.
"""

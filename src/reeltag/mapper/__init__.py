"""Video → Tag2Vec mapper: company labels, the torch model, training, evaluation.

Modules: ``labels`` (company labels and their provenance), ``model`` + ``train`` (torch: the MLP, its losses,
fit/fine-tune, save/load, pyfunc), ``evaluate`` (pure metrics and baselines), ``nearest`` (a tag index and the
nearest tags of mapped vectors), ``data`` (what the steps share: tag index, checked labels, features, the champion),
``steps`` (``train_mapper``, ``finetune_mapper``, ``evaluate_mapper``), ``fit`` (train or fine-tune by lineage).
Suggesting a video's tags is :mod:`reeltag.suggest`.
"""

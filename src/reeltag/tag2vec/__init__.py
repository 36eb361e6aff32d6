"""Tag2Vec: a skip-gram tag space over hashtag sentences, its evaluation, trends and tuning.

Modules: ``train`` (the only gensim import), ``space`` (:class:`~reeltag.tag2vec.space.TagSpace`, the pure view every
other package uses), ``evaluate`` + ``baselines`` + ``combined`` + ``ranker`` + ``ranker_model`` (leave-one-tag-out
evaluation, baselines, the learned combination, the tags-only ranker; sklearn only in ``ranker_model``), ``trends``
(the trend report between versions), ``following`` (next-period score of one model), ``follow`` (the
``tag2vec follow`` step: frozen / incremental / retrained month by month), ``tune`` (hyper-parameter search on
validation posts), ``pyfunc`` (the registry's pyfunc recommender), ``steps`` (train + register + gate, evaluate,
neighbours, trends, champion loading).
"""

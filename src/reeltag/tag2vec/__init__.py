"""Tag2Vec: a skip-gram tag space over hashtag sentences, its evaluation, trends and tuning.

Modules: ``train`` (the only gensim import), ``space`` (:class:`~reeltag.tag2vec.space.TagSpace`, the pure view every
other package uses), ``evaluate`` + ``baselines`` + ``combined`` + ``ranker`` + ``ranker_model`` + ``ranker_fit`` (leave-one-tag-out
evaluation, baselines, the learned combination, the tags-only ranker and its leak-free training; sklearn only in
``ranker_model``), ``offer`` (the recommender offered, chosen on validation posts), ``trends``
(the trend report between versions), ``following`` (next-period score of one model), ``follow`` (the
``tag2vec follow`` step: frozen / incremental / retrained month by month), ``tune`` (hyper-parameter search on
validation posts), ``pyfunc`` (the registry's pyfunc recommender), ``steps`` (train + register + gate, evaluate,
neighbours, trends, champion loading).
"""

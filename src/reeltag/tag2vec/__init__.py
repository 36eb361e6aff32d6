"""Tag2Vec: a skip-gram tag space (:mod:`.train` is the only gensim import), its evaluation and baselines
(pure), the trend report (pure) and :class:`~reeltag.tag2vec.space.TagSpace`, the pure view other steps use."""

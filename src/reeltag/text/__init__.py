"""The text branch of suggestion: a video's title/description → hashtags (pure numpy/scipy).

``words`` reads a text into words and written hashtags (or a note saying why it cannot be used), ``model``
learns word → tag scores from posts (words with their hashtags removed predicting those hashtags), ``metrics``
scores ranked tags against a post's own hashtags.
"""

"""reeltag: hashtag suggestion (Tag2Vec) and CLIP search reranking for short videos."""

__version__ = "0.1.0"

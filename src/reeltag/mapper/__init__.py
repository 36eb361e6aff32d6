"""Video → Tag2Vec mapper: company labels, the torch model, training, suggestion and evaluation."""

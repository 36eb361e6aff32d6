"""Video → CLIP vectors: frames (decord), encoder (open_clip), feature cache."""

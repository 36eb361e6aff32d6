"""CLIPRerank: TREC formats, frame-level CLIP scoring (pure), retrieval metrics and α tuning."""

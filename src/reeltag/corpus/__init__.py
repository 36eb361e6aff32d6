"""Pure corpus handling: parse posts (streaming), extract + normalise hashtags, dedupe, split, sentences."""

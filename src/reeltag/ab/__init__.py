"""Paired A/B comparisons of two runs or models: mean delta, bootstrap CI, Wilcoxon, wins/ties/losses."""

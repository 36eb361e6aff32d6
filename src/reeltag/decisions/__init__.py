"""Decisions: pure gates (metrics + thresholds → Decision) and the go/no-go report."""

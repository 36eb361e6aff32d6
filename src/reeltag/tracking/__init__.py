"""Tracking: pure naming rules (``naming``) and the only mlflow adapter (``store``)."""

"""The go/no-go report: evidence gathered, judged by the gates, rendered as HTML + JSON, logged.

Modules: ``steps`` (``build_report``), ``evidence`` (measurements from MLflow, stores and fresh paired runs),
``online_evidence`` (the online A/B days read back from their ``result.json`` records), ``staff_review`` (what
the review store says about suggestions), ``judgement`` (pure: evidence → verdicts → the decision JSON and the
HTML, Jinja2 templates in ``templates/``), ``figures`` (the charts; the only matplotlib import).
"""

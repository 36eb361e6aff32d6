"""Pure modules must not pull in heavy libraries (layering rule 1)."""

import subprocess
import sys

HEAVY = ("mlflow", "great_expectations", "gensim", "open_clip", "torch", "decord", "prefect", "torchvision",
         "dask", "distributed")
PURE_MODULES = (
    "reeltag.config",
    "reeltag.paths",
    "reeltag.io",
    "reeltag.security",
    "reeltag.project",
    "reeltag.tracking.naming",
    "reeltag.video.weights",
    "reeltag.video.sampling",
    "reeltag.video.inputs",
    "reeltag.video.pairs",
    "reeltag.video.cache",
    "reeltag.pipelines.features",
    "reeltag.pipelines.features_dask",
    "reeltag.video.dask_extract",
    "reeltag.tracking.reach",
    "reeltag.commands.scale",
    "reeltag.pipelines.encoder",
    "reeltag.commands.clip",
    "reeltag.decisions.gates",
    "reeltag.decisions.report",
    "reeltag.decisions.figures",
    "reeltag.pipelines.report",
    "reeltag.pipelines.report_evidence",
    "reeltag.pipelines.demo",
    "reeltag.commands.ops",
    "reeltag.quarantine",
    "reeltag.console",
    "reeltag.demo.world",
    "reeltag.cli",
    "reeltag.mapper.labels",
    "reeltag.mapper.suggest",
    "reeltag.mapper.evaluate",
    "reeltag.pipelines.mapper",
    "reeltag.pipelines.mapper_data",
    "reeltag.commands.mapper",
    "reeltag.rerank.formats",
    "reeltag.rerank.scoring",
    "reeltag.rerank.metrics",
    "reeltag.rerank.tuning",
    "reeltag.ab.paired",
    "reeltag.rerank.apply",
    "reeltag.rerank.model",
    "reeltag.pipelines.rerank",
    "reeltag.pipelines.rerank_gate",
    "reeltag.commands.rerank",
    "reeltag.corpus.tags",
    "reeltag.corpus.posts",
    "reeltag.corpus.sentences",
    "reeltag.corpus.store",
    "reeltag.contracts.suites",
    "reeltag.tag2vec.space",
    "reeltag.tag2vec.baselines",
    "reeltag.tag2vec.evaluate",
    "reeltag.tag2vec.trends",
    "reeltag.tag2vec.serve",
    "reeltag.pipelines.corpus",
    "reeltag.pipelines.tag2vec",
    "reeltag.commands.corpus",
    "reeltag.commands.tag2vec",
)


def test_pure_modules_import_no_heavy_library() -> None:
    code = (
        "import sys\n"
        f"for m in {PURE_MODULES!r}: __import__(m)\n"
        f"print(','.join(sorted(h for h in {HEAVY!r} if h in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "", f"heavy libraries imported by pure modules: {out}"

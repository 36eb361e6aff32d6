"""Security basics: user text is escaped in the HTML report, pickle-format files and torch checkpoints cannot
run code, the local Prefect server binds 127.0.0.1, and manifests/labels cannot reach outside their folder."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

from reeltag.errors import BadInput
from reeltag.mapper.labels import read_labels
from reeltag.registry.gates import Threshold
from reeltag.report.judgement import Component, ContractResult, Lineage, ReportData, judge, render_html
from reeltag.rerank.formats import read_manifest
from reeltag.video.inputs import resolve_inputs

pytestmark = pytest.mark.robustness

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)>'
TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "reeltag" / "decisions" / "templates"


def test_every_user_text_in_the_report_is_escaped(tried) -> None:
    """Titles, tags, video names, quarantine items and reasons, contract failures, lineage: all from users."""
    tried.bad_input("report", "HTML/script in user text shown in the report")
    component = Component(
        name="mapper",
        title=EVIL,
        methods={"model": {EVIL: 0.5}, "baseline": {EVIL: 0.2}},
        model="model",
        reference="baseline",
        thresholds=(Threshold(metric=EVIL, min_abs_delta=0.05),),
        notes=(EVIL,),
        n_eval=500,
        min_eval=1,
    )
    data = ReportData(
        title=EVIL,
        generated_at=EVIL,
        weights_kind="real",
        demo=False,
        components=(component,),
        contracts=(ContractResult(suite=EVIL, success=False, failed=(EVIL,), when=EVIL),),
        quarantine={EVIL: 1},
        quarantine_samples=((EVIL, EVIL, EVIL),),
        lineage=(Lineage(model=EVIL, version="1", aliases=(EVIL,), run_id=EVIL, depends_on={EVIL: EVIL}),),
        examples=((EVIL, (EVIL,)),),
        top_tags=((EVIL, 3),),
    )
    page = render_html(data, [judge(data, component)], {})
    assert "<script>alert" not in page and "<img src=x" not in page
    assert page.count("&lt;script&gt;") >= 10


def test_report_templates_never_mark_text_safe() -> None:
    for template in TEMPLATES.glob("*.j2"):
        text = template.read_text(encoding="utf-8")
        assert "|safe" not in text.replace(" ", "") and "autoescape false" not in text, template


class _Payload:
    """Unpickling this runs ``os.system``: what a hostile checkpoint or model file carries."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):  # noqa: ANN204
        return (os.system, (f"touch {self.marker}",))


def _hostile_checkpoint(folder: Path) -> tuple[Path, Path]:
    import torch

    marker = folder / "code-ran"
    path = folder / "hostile.pt"
    torch.save({"state_dict": {"w": torch.zeros(1)}, "extra": _Payload(marker)}, path)
    return path, marker


@pytest.mark.integration
def test_a_hostile_clip_checkpoint_is_refused_without_running_its_code(tmp_path: Path, tried) -> None:
    """``--weights FILE`` goes through open_clip with ``weights_only=True``: the payload never runs, and the
    refusal is a clear error (bug fixed: the UnpicklingError escaped as a traceback)."""
    from reeltag.video.encoder import ResolvedWeights, build_model

    tried.bad_input("security", "pickle payload in a CLIP checkpoint")
    path, marker = _hostile_checkpoint(tmp_path)
    with pytest.raises(BadInput, match="cannot load"):
        build_model(ResolvedWeights(arch="reeltag-tiny", checkpoint=path, model_id="reeltag-tiny@x", weights_kind="real"))
    assert not marker.exists()


@pytest.mark.integration
def test_a_hostile_mapper_file_is_refused_without_running_its_code(tmp_path: Path, tried) -> None:
    """Mapper state dicts are read with ``torch.load(weights_only=True)``."""
    import torch

    tried.bad_input("security", "pickle payload in a mapper state dict")
    path, marker = _hostile_checkpoint(tmp_path)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(path, map_location="cpu", weights_only=True)
    assert not marker.exists()
    source = (TEMPLATES.parents[1] / "mapper" / "train.py").read_text(encoding="utf-8")
    assert "weights_only=True" in source and source.count("torch.load(") == source.count("weights_only=True")


def test_no_pickle_or_unsafe_load_outside_the_guarded_sites() -> None:
    """Every pickle-capable load in the package is one of the reviewed sites (add new ones to this list only
    with ``weights_only=True``, ``allow_pickle=False`` or :func:`reeltag.security.check_trusted`)."""
    src = TEMPLATES.parents[1]
    risky = ("pickle.load", "torch.load(", "KeyedVectors.load(", "Word2Vec.load(", "joblib.load", "allow_pickle=True")
    found = sorted(f"{p.relative_to(src)}:{r}" for p in src.rglob("*.py") for r in risky if r in p.read_text(encoding="utf-8"))
    assert found == [
        "mapper/train.py:torch.load(",
        "tag2vec/ranker_model.py:pickle.load",  # the offered ranker: its folder passes check_trusted (tag2vec.steps)
        "tag2vec/train.py:KeyedVectors.load(",
        "tag2vec/train.py:Word2Vec.load(",
    ]


def test_the_local_prefect_server_binds_127_0_0_1(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from flows import server

    started: list[list[str]] = []

    class FakeProcess:
        pid, returncode = 0, None

        def __init__(self, cmd: list[str], **kwargs) -> None:  # noqa: ANN003
            started.append(cmd)

        def poll(self) -> None:
            return None

    health = iter([False, True])
    monkeypatch.setattr(server, "is_healthy", lambda url, timeout=2.0: next(health))
    monkeypatch.setattr(server.subprocess, "Popen", FakeProcess)
    got = server.ensure_server(tmp_path / "prefect", port=4321)
    [cmd] = started
    assert cmd[cmd.index("--host") + 1] == "127.0.0.1" and "0.0.0.0" not in cmd
    assert got.api_url == "http://127.0.0.1:4321/api"


def _escaping_set(tmp_path: Path) -> Path:
    """A folder with a manifest/labels file whose rows try to leave it (``..``, a symlink up, absolute)."""
    outside = tmp_path / "secret.mp4"
    outside.write_bytes(b"not yours")
    base = tmp_path / "set"
    base.mkdir()
    os.symlink(tmp_path, base / "up")
    (base / "ok.mp4").write_bytes(b"x")
    rows = [("ok", "ok.mp4"), ("dots", "../secret.mp4"), ("link", "up/secret.mp4"), ("abs", str(outside))]
    (base / "manifest.csv").write_text("docid,path\n" + "".join(f"{d},{p}\n" for d, p in rows), encoding="utf-8")
    (base / "labels.csv").write_text("video,tags\n" + "".join(f"{p},#cat\n" for _, p in rows), encoding="utf-8")
    return base


def test_search_manifest_cannot_escape_its_folder(tmp_path: Path, tried) -> None:
    tried.bad_input("security", "manifest path escaping its folder")
    base = _escaping_set(tmp_path)
    assert set(read_manifest(base / "manifest.csv", allow_absolute=False).paths) == {"ok"}
    assert set(read_manifest(base / "manifest.csv", allow_absolute=True).paths) == {"ok", "abs"}
    assert [v.docid for v in resolve_inputs([base / "manifest.csv"], allow_absolute=False).videos] == ["ok"]


def test_mapper_labels_cannot_escape_their_folder(tmp_path: Path, tried) -> None:
    tried.bad_input("security", "labels path escaping its folder")
    base = _escaping_set(tmp_path)
    labels = read_labels(base / "labels.csv", lambda t: t.lstrip("#"), allow_absolute=False)
    assert [r.video.name for r in labels.rows] == ["ok.mp4"]
    assert [b.reason.split(":")[0] for b in labels.bad] == ["video path leaves the label folder"] * 2 + [
        "absolute video path not allowed"
    ]


def test_served_flows_open_no_network_listener() -> None:
    """``reeltag serve`` runs Prefect's ``serve`` without the runner webserver, whose default host is loopback."""
    from prefect.settings import get_current_settings

    flows_dir = Path(__file__).resolve().parents[2] / "flows"
    assert not any("webserver" in p.read_text(encoding="utf-8") for p in flows_dir.glob("*.py"))
    assert get_current_settings().runner.server.host in ("localhost", "127.0.0.1")

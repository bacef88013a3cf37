"""The ONNX Runtime encoder: exported here from the packaged weights, the torch vectors at fp32,
its own model id at int8, and an index that refuses to mix them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag_agent import RagIndex, SourceDocument
from rag_agent.errors import ConfigError, IndexMismatchError

pytest.importorskip("onnxruntime", reason="the 'onnx' extra is not installed")
from rag_agent.onnx_encoder import OnnxEmbedder  # noqa: E402

pytestmark = pytest.mark.integration

TEXTS = ["Boston\nThe Boston Marathon is the world's oldest annual marathon.",
         "Short.", "Vitamin D deficiency is associated with increased risk of fractures in "
         "elderly patients, according to a meta-analysis of twelve randomized trials. " * 6]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


def test_fp32_gives_the_torch_vectors_and_model_id(real_embedder, cache: Path) -> None:
    onnx = OnnxEmbedder(cache_dir=cache)
    ours, theirs = onnx.encode(TEXTS), real_embedder.encode(TEXTS)
    assert ours.dtype == np.float32 and ours.shape == theirs.shape == (3, 384)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert (ours * theirs).sum(axis=1).min() > 0.99999
    assert onnx.model_id == real_embedder.model_id and onnx.encoder == "onnx-fp32"
    assert onnx.count_tokens(TEXTS) == real_embedder.count_tokens(TEXTS)
    assert onnx.encode([]).shape == (0, 384)
    exported = sorted(p.name for p in cache.rglob("*.onnx"))
    assert exported == ["model-fp32.onnx"]  # written whole: no temporary file left behind


def test_int8_is_another_model_and_an_index_refuses_to_mix(real_embedder, cache: Path,
                                                           tmp_path: Path) -> None:
    int8 = OnnxEmbedder(precision="int8", cache_dir=cache)
    assert int8.model_id == "all-MiniLM-L6-v2+onnx-int8"
    close = (int8.encode(TEXTS) * real_embedder.encode(TEXTS)).sum(axis=1)
    assert close.min() > 0.95  # near, not equal: hence its own model id
    with RagIndex.open(tmp_path / "ix", embedder=real_embedder) as index:
        index.add_documents([SourceDocument("b", TEXTS[0], "Boston", {})])
    with pytest.raises(IndexMismatchError, match="onnx-int8"):
        RagIndex.open(tmp_path / "ix", embedder=int8)
    # fp32 ONNX reads the torch-built index and finds what torch finds
    with RagIndex.open(tmp_path / "ix", embedder=OnnxEmbedder(cache_dir=cache)) as index:
        hit = index.search("oldest marathon", kind="sentence", k=1)[0]
        assert hit.source_id == "b" and index.stats().encoder == "onnx-fp32"


def test_bad_settings_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="precision 'fp16'"):
        OnnxEmbedder(precision="fp16")
    with pytest.raises(ConfigError, match="does not exist"):
        OnnxEmbedder(tmp_path / "nowhere")


@pytest.mark.parametrize(("pooling", "ok"), [
    ({"pooling_mode_mean_tokens": True, "pooling_mode_cls_token": False}, True),
    ({"pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": True}, False),
    ({"pooling_mode_cls_token": True}, False),
    ({"pooling_mode": "mean", "include_prompt": True}, True),  # sentence-transformers 6
    ({"pooling_mode": "cls"}, False),
])
def test_only_mean_pooling_is_exported_in_either_config_format(tmp_path: Path, pooling: dict,
                                                               ok: bool) -> None:
    import json

    from rag_agent.onnx_encoder import _check_pooling

    (tmp_path / "1_Pooling").mkdir()
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    if ok:
        _check_pooling(tmp_path)
    else:
        with pytest.raises(ConfigError, match="does not use mean pooling alone"):
            _check_pooling(tmp_path)

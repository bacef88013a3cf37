"""`rag_agent.finetune.adapter`: the query adapter's arithmetic, training and file format."""

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

from rag_agent.errors import ConfigError
from rag_agent.finetune.adapter import QueryAdapter, train_adapter


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def _task(seed: int, n: int = 200, dim: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Queries whose answers lie along a fixed rotation of them: a map an adapter can learn."""
    rng = np.random.default_rng(seed)
    rotation = np.linalg.qr(np.random.default_rng(99).normal(size=(dim, dim)))[0]
    queries = _unit(rng.normal(size=(n, dim)))
    return queries, _unit(queries @ rotation + 0.3 * rng.normal(size=(n, dim)))


def _top1(queries: np.ndarray, positives: np.ndarray) -> float:
    return float(np.mean(np.argmax(queries @ positives.T, axis=1) == np.arange(len(queries))))


def test_a_new_adapter_is_the_identity_and_rows_stay_normalized() -> None:
    adapter = QueryAdapter(np.zeros((4, 4)), np.zeros(4), "m")
    rows = _unit(np.random.default_rng(0).normal(size=(3, 4)))
    assert np.allclose(adapter.apply(rows), rows)
    moved = QueryAdapter(np.eye(4) * 0.5, np.ones(4), "m").apply(rows)
    assert np.allclose(np.linalg.norm(moved, axis=1), 1.0)


def test_shapes_and_non_finite_values_are_refused() -> None:
    with pytest.raises(ConfigError, match="must be"):
        QueryAdapter(np.zeros((4, 3)), np.zeros(4), "m")
    with pytest.raises(ConfigError, match="NaN"):
        QueryAdapter(np.full((2, 2), np.nan), np.zeros(2), "m")


def test_training_learns_the_map_on_pairs_it_never_saw() -> None:
    queries, positives = _task(seed=1)
    held_q, held_p = _task(seed=2)
    adapter, report = train_adapter(queries, positives, model_id="m", epochs=40, l2=1e-4,
                                    lr=1e-2, batch_size=32)
    assert report.loss_last < report.loss_first
    assert report.epochs == 40 and not report.stopped_by_budget
    before, after = _top1(held_q, held_p), _top1(adapter.apply(held_q), held_p)
    assert after > before + 0.2, (before, after)


def test_hard_negatives_and_a_time_budget_are_used() -> None:
    queries, positives = _task(seed=3, n=64)
    negatives = np.stack([np.roll(positives, s, axis=0) for s in (1, 2)], axis=1)
    seen = []
    _, report = train_adapter(queries, positives, model_id="m", negatives=negatives,
                              epochs=1000, seconds=0.0, progress=lambda e, loss: seen.append(e))
    assert report.stopped_by_budget and report.epochs == 1 and seen == [1]
    with pytest.raises(ConfigError, match="at least 2"):
        train_adapter(queries[:1], positives[:1], model_id="m")


def test_the_file_round_trips_exactly_without_pickle(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(5)
    adapter = QueryAdapter(rng.normal(size=(8, 8)) * 0.1, rng.normal(size=8) * 0.1, "model-a",
                           {"pairs": 3})
    path = tmp_path / "a.safetensors"
    adapter.save(path)

    def refuse(*args, **kwargs):
        raise AssertionError("pickle used to load an adapter")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)
    back = QueryAdapter.load(path, model_id="model-a")
    assert np.array_equal(back.weight, adapter.weight) and np.array_equal(back.bias, adapter.bias)
    rows = _unit(rng.normal(size=(5, 8)))
    assert np.array_equal(back.apply(rows), adapter.apply(rows))
    assert back.info == {"pairs": 3} and back.model_id == "model-a"
    # a safetensors file is a JSON header and raw little-endian arrays: no pickle opcodes
    raw = path.read_bytes()
    header = json.loads(raw[8:8 + int.from_bytes(raw[:8], "little")])
    assert set(header) == {"weight", "bias", "__metadata__"}


def test_loading_refuses_another_model_and_broken_files(tmp_path: Path) -> None:
    path = tmp_path / "a.safetensors"
    QueryAdapter(np.zeros((4, 4)), np.zeros(4), "model-a").save(path)
    with pytest.raises(ConfigError, match="trained for embedding model 'model-a', not 'b'"):
        QueryAdapter.load(path, model_id="b")
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(ConfigError, match="cannot be read"):
        QueryAdapter.load(path)
    with pytest.raises(ConfigError, match="is missing"):
        QueryAdapter.load(tmp_path / "gone.safetensors")

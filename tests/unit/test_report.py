from pathlib import Path

from rag_agent.eval.report import markdown, write_report

RESULT = {
    "dataset": "hotpotqa", "queries": 3, "documents": 30, "depth": 20,
    "metrics": ["recall@2", "recall@5", "recall@10", "answer_in@600", "span_answer_in@600"],
    "strategies": {
        "ours: agent": {
            "all": {"recall@2": 0.5, "recall@5": 0.75, "recall@10": 1.0, "answer_in@600": 0.25,
                    "span_answer_in@600": 0.5},
            "by_type": {"bridge": {"recall@2": 0.25, "n:recall@2": 2, "recall@5": 0.5},
                        "comparison": {"recall@2": 1.0, "n:recall@2": 1}},
            "latency_ms": {"p50": 3.0, "p95": 4.5}, "answer": "own"},
        "BM25": {
            "all": {"recall@2": 0.25, "recall@5": 0.5, "recall@10": 0.5, "answer_in@600": 0.125,
                    "span_answer_in@600": 0.25},
            "by_type": {"bridge": {"recall@2": 0.0, "n:recall@2": 2}},
            "latency_ms": {"p50": 1.0, "p95": 2.0}, "answer": "lead"},
    },
    "agent": {"accuracy": 0.6667, "n": 3, "by_task": {"fact": {"accuracy": 0.5, "n": 2},
                                                       "comparison": {"accuracy": 1.0, "n": 1}},
              "tools": {"sentence_window": 2, "parent_chunk": 1}},
}


def test_markdown_tables() -> None:
    text = markdown(RESULT)
    assert ("| strategy | recall@2 | recall@5 | recall@10 | answer_in@600 | span_answer_in@600 "
            "| p50 ms | p95 ms |") in text
    assert "| ours: agent | 0.500 | 0.750 | 1.000 | 0.250 | 0.500 | 3.0 | 4.5 |" in text
    assert "*bridge* (2 queries)" in text and "*comparison* (1 queries)" in text
    assert "| BM25 | - |" in text  # no comparison score for BM25: a dash, not a zero
    assert ("Answer metrics score each answer cut to 600 characters: the strategy's own answer "
            "(ours: agent); for the others, the lead answer") in text
    assert "Agent task classification: 0.667 on 3 labelled queries" in text


def test_write_report_writes_json_markdown_and_pngs(tmp_path: Path) -> None:
    files = write_report(RESULT, tmp_path / "out")
    names = sorted(p.name for p in files)
    assert names == ["hotpotqa.json", "hotpotqa.md", "hotpotqa.png", "hotpotqa_by_type.png"]
    for png in (tmp_path / "out").glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000

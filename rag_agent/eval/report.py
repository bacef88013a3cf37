"""An evaluation result as Markdown tables and PNG plots, written beside its JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rag_agent.errors import MissingExtraError
from rag_agent.eval.datasets import SPECS

__all__ = ["markdown", "plot", "write_report"]


def _name(result: dict[str, Any]) -> str:
    return result["dataset"].split()[0]


def _cell(scores: dict[str, Any], metric: str) -> str:
    if metric not in scores:
        return "-"
    value = scores[metric]
    return f"{value:,.0f}" if metric.startswith("context_chars") else f"{value:.3f}"


def markdown(result: dict[str, Any]) -> str:
    """The overall table (with latency), one table per question type, and the agent's choices."""
    metrics = result["metrics"]
    strategies = result["strategies"]
    head = "| strategy | " + " | ".join(metrics) + " | p50 ms | p95 ms |"
    lines = [f"**{result['dataset']}**: {result['queries']} queries, {result['documents']} "
             f"documents, {result['depth']} passages per query", "", head,
             "|---" * (len(metrics) + 3) + "|"]
    for name, s in strategies.items():
        lat = s.get("latency_ms", {})
        lines.append(f"| {name} | " + " | ".join(_cell(s["all"], m) for m in metrics)
                     + f" | {lat.get('p50', 0):.1f} | {lat.get('p95', 0):.1f} |")
    types = sorted({t for s in strategies.values() for t in s["by_type"]})
    for qtype in types:
        some = next(s["by_type"][qtype] for s in strategies.values() if qtype in s["by_type"])
        shown = [m for m in metrics if m in some]
        n = max(some.get(f"n:{m}", 0) for m in shown) if shown else 0
        lines += ["", f"*{qtype}* ({n} queries)", "",
                  "| strategy | " + " | ".join(shown) + " |", "|---" * (len(shown) + 1) + "|"]
        lines += [f"| {name} | " + " | ".join(_cell(s["by_type"].get(qtype, {}), m) for m in shown)
                  + " |" for name, s in strategies.items()]
    own = [name for name, s in strategies.items() if s.get("answer") == "own"]
    if any(s.get("answer") for s in strategies.values()):
        chars = SPECS[_name(result)].answer_chars
        lines += ["", f"Answer metrics score each answer cut to {chars} characters: "
                      + (f"the strategy's own answer ({', '.join(own)}); for the others, "
                         if own else "")
                      + "the lead answer (the first sentences of its top passages, in turn)."]
    agent = result.get("agent")
    if agent and agent.get("n"):
        per = ", ".join(f"{t} {v['accuracy']:.3f} (n={v['n']})" for t, v in agent["by_task"].items())
        tools = ", ".join(f"{t} {n}" for t, n in sorted(agent["tools"].items()))
        lines += ["", f"Agent task classification: {agent['accuracy']:.3f} on {agent['n']} "
                      f"labelled queries ({per}); tools chosen: {tools}."]
    return "\n".join(lines)


def plot(result: dict[str, Any], folder: Path) -> list[Path]:
    """`<set>.png` (every metric per strategy) and `<set>_by_type.png` (the spec's headline
    metric per type)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise MissingExtraError("evaluation plots (matplotlib)", "bench") from exc
    name = _name(result)
    strategies = result["strategies"]
    labels = list(strategies)
    out = []
    metrics = [m for m in result["metrics"] if not m.startswith("context_chars")]
    groups = [("", metrics, lambda s, m: s["all"].get(m))]
    types = sorted({t for s in strategies.values() for t in s["by_type"]})
    headline = SPECS[name].headline
    if types:
        groups.append(("_by_type", types,
                       lambda s, t: s["by_type"].get(t, {}).get(headline)))
    for suffix, series, value in groups:
        fig, ax = plt.subplots(figsize=(10, 0.55 * len(labels) * max(1, len(series) / 2) + 1.5))
        height = 0.8 / len(series)
        for j, key in enumerate(series):
            ys = [i + j * height for i in range(len(labels))]
            vals = [value(strategies[n], key) or 0.0 for n in labels]
            bars = ax.barh(ys, vals, height=height, label=key)
            ax.bar_label(bars, fmt="%.3f", fontsize=7, padding=2)
        ax.set_yticks([i + 0.4 - height / 2 for i in range(len(labels))], labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlim(0, 1.1)
        title = f"{result['dataset']}: {result['queries']} queries"
        ax.set_title(title + (f" ({headline} by question type)" if suffix else ""), fontsize=10)
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.06),
                  ncol=min(len(series), 4), frameon=False)
        fig.tight_layout()
        path = folder / f"{name}{suffix}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        out.append(path)
    return out


def write_report(result: dict[str, Any], folder: Path, *, plots: bool = True) -> list[Path]:
    """`<set>.json`, `<set>.md` and the plots in `folder`; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    name = _name(result)
    files = [folder / f"{name}.json", folder / f"{name}.md"]
    files[0].write_text(json.dumps(result, indent=2) + "\n")
    files[1].write_text(markdown(result) + "\n")
    if plots:
        files += plot(result, folder)
    return files

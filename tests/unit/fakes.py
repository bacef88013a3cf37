"""A chat model fake for structured output: just enough for filter inference and extraction."""

from __future__ import annotations

from typing import Any


class FakeStructured:
    """What `with_structured_output` returns: answers every prompt with one fixed answer."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.prompts: list[str] = []

    def invoke(self, prompt: str) -> Any:
        self.prompts.append(prompt)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer

    async def ainvoke(self, prompt: str) -> Any:
        return self.invoke(prompt)


class FakeChat:
    """A chat model answering every structured call with `answer` (a value, a callable of the
    schema, or an exception to raise)."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.calls: list[tuple[type, str]] = []
        self.runnable: FakeStructured | None = None

    @property
    def schemas(self) -> list[type]:
        return [schema for schema, _ in self.calls]

    def with_structured_output(self, schema: type, method: str = "") -> FakeStructured:
        self.calls.append((schema, method))
        answer = self.answer(schema) if callable(self.answer) else self.answer
        self.runnable = FakeStructured(answer)
        return self.runnable

"""The agent: task classification, routing, synthesis and the LangGraph graph."""

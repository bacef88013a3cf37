"""LangGraph Studio entry point: the agent over the index named by $RAG_AGENT_INDEX."""

from rag_agent.agent.graph import build_agent
from rag_agent.studio import chat_model_from_env, open_studio_index

graph = build_agent(open_studio_index(), chat_model_from_env())

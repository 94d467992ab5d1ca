"""The benchmark scenario (scenario.py) written with LangGraph: one graph whose agent node calls
the model as the active persona and whose tool node reads files or hands over. A handover starts
the next persona fresh with the task and the sender's summary, as agentctl does.

Prints one JSON line: model turns, the final answer, and the CPU time of the run itself
(process time around `invoke`, so Python start-up and imports are not counted).

Usage: peer_langgraph.py --base-url URL --turns N --workspace DIR
"""

import argparse
import json
import os
import sys
import time
from typing import TypedDict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scenario  # noqa: E402

from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage  # noqa: E402
from langchain_core.tools import tool  # noqa: E402
from langchain_openai import ChatOpenAI  # noqa: E402
from langgraph.graph import END, StateGraph  # noqa: E402


def build(base_url, workspace):
    @tool
    def fs_read(path: str) -> str:
        """Read a text file of the workspace."""
        full = os.path.realpath(os.path.join(workspace, path))
        if not full.startswith(os.path.realpath(workspace) + os.sep):
            return "error: the path leaves the workspace"
        with open(full, encoding="utf-8") as handle:
            return handle.read()

    @tool
    def handoff(to: str, summary: str, items: list[str]) -> str:
        """Hand the task to another persona with a summary of what was done."""
        return f"handed over to {to}"

    model = ChatOpenAI(model=scenario.MODEL, base_url=base_url, api_key="benchmark", max_retries=0)
    by_name = {persona["name"]: key for key, persona in scenario.PERSONAS.items()}
    bound = {}
    for key, persona in scenario.PERSONAS.items():
        tools = [fs_read] if persona["next"] is None else [fs_read, handoff]
        bound[key] = model.bind_tools(tools)

    class State(TypedDict):
        active: str
        messages: list
        turns: int

    def agent(state):
        persona = scenario.PERSONAS[state["active"]]
        reply = bound[state["active"]].invoke(
            [SystemMessage(persona["instructions"])] + state["messages"]
        )
        return {"messages": state["messages"] + [reply], "turns": state["turns"] + 1}

    def tools(state):
        reply = state["messages"][-1]
        messages = list(state["messages"])
        active = state["active"]
        for call in reply.tool_calls:
            if call["name"] == "handoff":
                active = by_name[call["args"]["to"]]
                packet = f"{scenario.TASK}\n\nHanded over with: {call['args']['summary']}"
                messages = [HumanMessage(packet)]
                break
            output = fs_read.invoke(call["args"])
            messages.append(ToolMessage(output, tool_call_id=call["id"]))
        return {"active": active, "messages": messages}

    def route(state):
        last = state["messages"][-1]
        return "tools" if isinstance(last, AIMessage) and last.tool_calls else END

    graph = StateGraph(State)
    graph.add_node("agent", agent)
    graph.add_node("tools", tools)
    graph.set_entry_point("agent")
    graph.add_conditional_edges("agent", route, {"tools": "tools", END: END})
    graph.add_edge("tools", "agent")
    return graph.compile()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--turns", type=int, required=True)
    parser.add_argument("--workspace", required=True)
    arguments = parser.parse_args()
    app = build(arguments.base_url, arguments.workspace)
    started = time.process_time()
    state = app.invoke(
        {"active": "qa", "messages": [HumanMessage(scenario.TASK)], "turns": 0},
        config={"recursion_limit": arguments.turns * 2 + 10},
    )
    cpu = time.process_time() - started
    print(
        json.dumps(
            {
                "turns": state["turns"],
                "answer": state["messages"][-1].content,
                "cpu_run_s": cpu,
            }
        )
    )


if __name__ == "__main__":
    main()

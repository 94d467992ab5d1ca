"""The benchmark scenario (scenario.py) written with the OpenAI Agents SDK: three agents, each
with a file-reading function tool, QA and operations each with a handoff to the next. The SDK
names handoff tools `transfer_to_<agent>`; the mock script uses those names. A handover starts
the next agent with the task only (an input filter drops the sender's turns), as agentctl starts
the next persona fresh. Tracing is off (it would send data to OpenAI).

Prints one JSON line: model turns, the final answer, and the CPU time of the run itself
(process time around `Runner.run_sync`, so Python start-up and imports are not counted).

Usage: peer_openai_agents.py --base-url URL --turns N --workspace DIR
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scenario  # noqa: E402

from agents import (  # noqa: E402
    Agent,
    OpenAIChatCompletionsModel,
    RunHooks,
    Runner,
    function_tool,
    handoff,
    set_tracing_disabled,
)
from openai import AsyncOpenAI  # noqa: E402


def handoff_tool_name(persona_name):
    """The tool name the SDK gives a handoff to `persona_name` (checked at start)."""
    return "transfer_to_" + persona_name.replace("-", "_")


class CountTurns(RunHooks):
    def __init__(self):
        self.turns = 0

    async def on_llm_start(self, context, agent, system_prompt, input_items):
        self.turns += 1


def build(base_url, workspace):
    set_tracing_disabled(True)
    client = AsyncOpenAI(base_url=base_url, api_key="benchmark", max_retries=0)
    model = OpenAIChatCompletionsModel(model=scenario.MODEL, openai_client=client)

    @function_tool
    def fs_read(path: str) -> str:
        """Read a text file of the workspace."""
        full = os.path.realpath(os.path.join(workspace, path))
        if not full.startswith(os.path.realpath(workspace) + os.sep):
            return "error: the path leaves the workspace"
        with open(full, encoding="utf-8") as handle:
            return handle.read()

    def fresh_start(data):
        return data.clone(pre_handoff_items=(), new_items=())

    agents = {}
    for key in reversed(scenario.ORDER):
        persona = scenario.PERSONAS[key]
        handoffs = []
        if persona["next"] is not None:
            target = agents[persona["next"]]
            edge = handoff(target, input_filter=fresh_start)
            if edge.tool_name != handoff_tool_name(target.name):
                raise SystemExit(f"the SDK names the handoff {edge.tool_name}, not as expected")
            handoffs.append(edge)
        agents[key] = Agent(
            name=persona["name"],
            instructions=persona["instructions"],
            tools=[fs_read],
            handoffs=handoffs,
            model=model,
        )
    return agents["qa"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--turns", type=int, required=True)
    parser.add_argument("--workspace", required=True)
    arguments = parser.parse_args()
    start = build(arguments.base_url, arguments.workspace)
    hooks = CountTurns()
    started = time.process_time()
    result = Runner.run_sync(start, scenario.TASK, max_turns=arguments.turns + 5, hooks=hooks)
    cpu = time.process_time() - started
    print(json.dumps({"turns": hooks.turns, "answer": result.final_output, "cpu_run_s": cpu}))


if __name__ == "__main__":
    main()

"""The benchmark scenario shared by agentctl and the Python peers: a task moves from a QA
persona to an operations persona to a release manager, each reading a status note with a file
tool before it hands over; the release manager ends with a plain answer.

A run of N model turns (N >= 4) is: the tool turns spread over the three personas, two
handoffs, one final answer. N = 11 is the base case (3 reads by QA, 3 by operations, 2 by the
release manager). Every framework is served the same replies by the same mock endpoint; only
the tool names differ, because each framework names its handoff tools its own way.

Owns: the persona instructions, the task text and the mock script. Does not run anything.
"""

import json

MODEL = "bench-model"
NOTE_TEXT = "".join(
    f"status line {line}: the staging service answered its health checks in time.\n"
    for line in range(6)
)
TASK = (
    "Check that release 1.4.0 of benchmark-shop is ready: QA reads the status note, "
    "operations confirms staging, the release manager decides."
)


def note_path(index):
    """The `index`-th status note. Every read in a run reads another note: agentctl refuses a
    third identical call that got the same answer twice, which would measure a denial, not a
    read."""
    return f"notes/status-{index:05}.txt"


FINAL_ANSWER = "Release 1.4.0 is ready: tests pass and staging is healthy."

PERSONAS = {
    "qa": {
        "name": "bench-qa",
        "role": "QA Engineer",
        "instructions": "You are the QA engineer of benchmark-shop. Read the status notes you "
        "are pointed at, judge whether the tests pass, then hand the task to operations.",
        "next": "ops",
    },
    "ops": {
        "name": "bench-ops",
        "role": "Operations Engineer",
        "instructions": "You are the operations engineer of benchmark-shop. Confirm from the "
        "status notes that staging is healthy, then hand the task to the release manager.",
        "next": "rm",
    },
    "rm": {
        "name": "bench-rm",
        "role": "Release Manager",
        "instructions": "You are the release manager of benchmark-shop. Read the status notes "
        "once more and state whether the release may go ahead.",
        "next": None,
    },
}
ORDER = ["qa", "ops", "rm"]


def handoff_arguments(target_key):
    """The arguments of a handoff call to persona `target_key`, for agentctl and LangGraph."""
    return {
        "to": PERSONAS[target_key]["name"],
        "summary": "The status note was read; the next step is yours.",
        "items": ["status note read"],
    }


def reads_per_persona(turns):
    """How many file-reading turns each persona makes in a run of `turns` model turns."""
    if turns < 4:
        raise ValueError("a run needs at least 4 model turns (a read, two handoffs, an answer)")
    reads = turns - 3
    base, extra = divmod(reads, 3)
    return [base + (1 if index < extra else 0) for index in range(3)]


def script(turns, read_tool, handoff_tool):
    """The mock endpoint's replies for a run of `turns` model turns.

    `read_tool` is the file tool's name; `handoff_tool(target_key)` returns the (name,
    arguments) of the call that hands over to persona `target_key`."""
    replies = []
    read = 0
    for key, reads in zip(ORDER, reads_per_persona(turns)):
        for _ in range(reads):
            replies.append(
                {"tool_calls": [{"name": read_tool, "arguments": {"path": note_path(read)}}]}
            )
            read += 1
        following = PERSONAS[key]["next"]
        if following is None:
            replies.append({"text": FINAL_ANSWER})
        else:
            name, arguments = handoff_tool(following)
            replies.append({"tool_calls": [{"name": name, "arguments": arguments}]})
    assert len(replies) == turns
    return replies


def write_script(path, replies):
    with open(path, "w", encoding="utf-8") as out:
        json.dump({"model": MODEL, "replies": replies}, out)

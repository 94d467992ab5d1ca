"""Runs the measurements of scripts/bench.sh and prints a ready-to-paste Markdown report.

- per-turn CPU: the scenario of scenario.py at several run lengths, agentctl and each Python
  peer in turn (interleaved: one run of each per round), each against a fresh mock endpoint
  process serving the same replies. agentctl: CPU of the whole process (user + system, from
  wait4), start-up and fsynced audit included, divided by the model turns. Peers: the CPU of the
  run itself inside the Python process (imports and interpreter start-up excluded), and the
  whole process for reference. The mock's own CPU is a separate process and counted for nobody.
- start-up: `agentctl run` of a persona with two handoffs and one model turn, in generated
  libraries of 10, 100 and 1,000 personas (whole-process CPU).
- memory: total PSS (from /proc/PID/smaps_rollup) of 20 `agentctl run`s at once, each waiting
  on its first model reply.
- audit: `audit show --task T-150 --json` and `audit verify` on a 100,000-entry log, wall time
  and peak RSS: VmHWM from /proc/PID/status, read while the process is stopped on its way out
  (see run_peak; wait4's ru_maxrss would include the driver's memory the child had before exec).

Standard library only. Progress goes to stderr, the report to stdout.

Usage: measure.py --agentctl PATH --mock PATH --bench PATH [--python PATH] [--quick]
"""

import argparse
import ctypes
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import scenario  # noqa: E402

PEERS = {
    "LangGraph": "peer_langgraph.py",
    "OpenAI Agents SDK": "peer_openai_agents.py",
}


def progress(message):
    print(f"bench: {message}", file=sys.stderr, flush=True)


def _drain_pipes(process):
    """Reads the child's pipes on the side so a chatty child never blocks; returns the threads
    and the lists their text lands in."""

    def drain(stream, sink):
        for line in stream:
            sink.append(line)

    out_chunks, err_chunks, readers = [], [], []
    if process.stdout is not None:
        readers.append(threading.Thread(target=drain, args=(process.stdout, out_chunks)))
    readers.append(threading.Thread(target=drain, args=(process.stderr, err_chunks)))
    for reader in readers:
        reader.start()
    return readers, out_chunks, err_chunks


def run_measured(command, cwd=None, env=None, stdout=subprocess.PIPE):
    """Runs `command`, returns (exit code, stdout text, stderr text, CPU seconds, wall seconds).

    CPU is user + system of the child from wait4. Not its peak memory: wait4's ru_maxrss also
    counts what the forked child held before exec (this Python driver's memory); see run_peak."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True
    )
    readers, out_chunks, err_chunks = _drain_pipes(process)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    for reader in readers:
        reader.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return process.returncode, "".join(out_chunks), "".join(err_chunks), cpu, wall


# ptrace(2) requests and options used by run_peak (from <sys/ptrace.h>).
PTRACE_TRACEME, PTRACE_CONT, PTRACE_SETOPTIONS = 0, 7, 0x4200
PTRACE_O_TRACEEXIT, PTRACE_EVENT_EXIT = 0x40, 6
_libc = ctypes.CDLL(None, use_errno=True)
_libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
_libc.ptrace.restype = ctypes.c_long


def _ptrace(request, pid=0, data=0):
    if _libc.ptrace(request, pid, None, ctypes.c_void_p(data)) == -1:
        error = ctypes.get_errno()
        raise OSError(error, f"ptrace: {os.strerror(error)}")


def _vm_hwm_kib(pid):
    with open(f"/proc/{pid}/status", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise SystemExit(f"no VmHWM line for process {pid}")


def run_peak(command, cwd=None):
    """Runs `command` and returns (exit code, stdout text, stderr text, wall seconds, peak KiB).

    The peak is the VmHWM of /proc/PID/status: the high-water mark of the program's own memory
    after exec. To read it at the very end, the child is traced (PTRACE_TRACEME before exec,
    then PTRACE_O_TRACEEXIT) and stops once, on its way out, before its memory is released;
    signals it receives are passed on unchanged."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: _ptrace(PTRACE_TRACEME),
    )
    readers, out_chunks, err_chunks = _drain_pipes(process)
    peak, exec_stop_seen = None, False
    while True:
        _, status = os.waitpid(process.pid, 0)
        if not os.WIFSTOPPED(status):
            break
        stop, forward = os.WSTOPSIG(status), 0
        if stop == signal.SIGTRAP and not exec_stop_seen:
            # The stop after exec: from here on, stop once more at exit.
            _ptrace(PTRACE_SETOPTIONS, process.pid, PTRACE_O_TRACEEXIT)
            exec_stop_seen = True
        elif stop == signal.SIGTRAP and status >> 16 == PTRACE_EVENT_EXIT:
            peak = _vm_hwm_kib(process.pid)
        else:
            forward = stop
        _ptrace(PTRACE_CONT, process.pid, forward)
    wall = time.perf_counter() - started
    for reader in readers:
        reader.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    if peak is None:
        raise SystemExit(f"{command[0]} exited without the exit stop; no peak memory read")
    return process.returncode, "".join(out_chunks), "".join(err_chunks), wall, peak


class Mock:
    """An agentctl-mock-endpoint process serving `script_path`."""

    def __init__(self, binary, script_path, work, record=None):
        self.port_file = os.path.join(work, f"mock-{time.monotonic_ns()}.url")
        command = [binary, "--script", script_path, "--port-file", self.port_file]
        if record:
            command += ["--record", record]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while not (os.path.exists(self.port_file) and os.path.getsize(self.port_file) > 0):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise SystemExit("the mock endpoint did not start")
            time.sleep(0.005)
        with open(self.port_file, encoding="utf-8") as handle:
            self.url = handle.read().strip()

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.unlink(self.port_file)


def summary(values):
    values = sorted(values)
    return statistics.median(values), values[0], values[-1], len(values)


def fmt(value, digits=2):
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def fmt_summary(values, digits=2):
    median, low, high, count = summary(values)
    return f"{fmt(median, digits)} ({fmt(low, digits)} – {fmt(high, digits)}, n={count})"


# ---------------------------------------------------------------- per-turn CPU, all frameworks


def agentctl_config(url, max_turns):
    return (
        "# Written by scripts/bench/measure.py.\n[endpoint]\n"
        f'base_url = "{url}"\nmodel = "{scenario.MODEL}"\nstream = false\n'
        "timeout_s = 120\nmax_retries = 0\n\n[limits]\n"
        f"max_turns = {max_turns}\nmax_handoffs = 4\ntoken_budget = 1000000000000\n"
        "max_denials = 1000\n"
    )


def new_project(work, turns):
    """A copy of the bench project with a status note for every read of a `turns`-turn run."""
    root = tempfile.mkdtemp(prefix="project-", dir=work)
    shutil.copytree(os.path.join(HERE, "project"), root, dirs_exist_ok=True)
    os.makedirs(os.path.join(root, "notes"), exist_ok=True)
    for index in range(turns):
        with open(os.path.join(root, scenario.note_path(index)), "w", encoding="utf-8") as handle:
            handle.write(scenario.NOTE_TEXT)
    return root


def scripts_for(turns, work):
    """The mock script of each framework for a run of `turns` model turns."""
    paths = {}
    by_tool = {
        "agentctl": lambda key: ("handoff", scenario.handoff_arguments(key)),
        "LangGraph": lambda key: ("handoff", scenario.handoff_arguments(key)),
        "OpenAI Agents SDK": lambda key: (
            "transfer_to_" + scenario.PERSONAS[key]["name"].replace("-", "_"),
            {},
        ),
    }
    for name, handoff in by_tool.items():
        path = os.path.join(work, f"script-{name.replace(' ', '-')}-{turns}.json")
        scenario.write_script(path, scenario.script(turns, "fs_read", handoff))
        paths[name] = path
    return paths


def one_agentctl_run(arguments, script, turns, work):
    project = new_project(work, turns)
    mock = Mock(arguments.mock, script, work)
    try:
        with open(os.path.join(project, "agentctl.toml"), "w", encoding="utf-8") as handle:
            handle.write(agentctl_config(mock.url, turns + 10))
        code, out, err, cpu, wall = run_measured(
            [arguments.agentctl, "run", "bench-qa", "--task", "T-1", "--json"], cwd=project
        )
    finally:
        mock.stop()
    report = json.loads(out) if code == 0 else {}
    if (
        report.get("status") != "finished"
        or report.get("turns") != turns
        or report.get("handoffs") != 2
        or report.get("answer") != scenario.FINAL_ANSWER
    ):
        raise SystemExit(f"agentctl did not run the scenario as planned (exit {code}):\n{out}\n{err[-2000:]}")
    shutil.rmtree(project)
    return cpu, wall


def one_peer_run(arguments, peer, script, turns, work):
    workspace = new_project(work, turns)
    mock = Mock(arguments.mock, script, work)
    try:
        code, out, err, cpu, wall = run_measured(
            [arguments.python, os.path.join(HERE, PEERS[peer]), "--base-url", mock.url,
             "--turns", str(turns), "--workspace", workspace]
        )
    finally:
        mock.stop()
    try:
        report = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        report = {}
    if code != 0 or report.get("turns") != turns or report.get("answer") != scenario.FINAL_ANSWER:
        raise SystemExit(f"{peer} did not run the scenario as planned (exit {code}):\n{out}\n{err[-3000:]}")
    shutil.rmtree(workspace)
    return report["cpu_run_s"], cpu, wall


def per_turn(arguments, work, peers):
    """{turns: {framework: {"cpu": [ms/turn], "process": [ms/turn], "wall": [ms/turn]}}}"""
    results = {}
    for turns, runs, peer_runs in arguments.plan:
        scripts = scripts_for(turns, work)
        frameworks = ["agentctl"] + (list(PEERS) if peers and peer_runs > 0 else [])
        table = {name: {"cpu": [], "process": [], "wall": []} for name in frameworks}
        progress(f"{turns} turns: {runs} round(s) of {', '.join(frameworks)}")
        # One warm-up of agentctl (page cache) before the measured rounds.
        one_agentctl_run(arguments, scripts["agentctl"], turns, work)
        for round_index in range(max(runs, peer_runs if peers else 0)):
            for name in frameworks:
                if name == "agentctl":
                    if round_index >= runs:
                        continue
                    cpu, wall = one_agentctl_run(arguments, scripts[name], turns, work)
                    table[name]["cpu"].append(cpu * 1000 / turns)
                    table[name]["process"].append(cpu * 1000 / turns)
                else:
                    if round_index >= peer_runs:
                        continue
                    run_cpu, cpu, wall = one_peer_run(arguments, name, scripts[name], turns, work)
                    table[name]["cpu"].append(run_cpu * 1000 / turns)
                    table[name]["process"].append(cpu * 1000 / turns)
                table[name]["wall"].append(wall * 1000 / turns)
        results[turns] = table
    return results


# ---------------------------------------------------------------- start-up, memory, audit


def generate(arguments, directory, personas, entries):
    code, out, err, *_ = run_measured(
        [arguments.bench, "--personas", str(personas), "--audit-entries", str(entries),
         "generate", directory]
    )
    if code != 0:
        raise SystemExit(f"agentctl-bench generate failed:\n{err}")


def startup(arguments, work):
    """{(personas, what the start reaches): [CPU ms]} for generated libraries of 10, 100 and
    1,000 personas, starting either at the benchmark's bench-qa (copied into the library; it
    reaches two personas) or at a generated persona (its handoffs reach the whole library)."""
    results = {}
    script = os.path.join(work, "startup-script.json")
    scenario.write_script(script, [{"text": "Nothing to do."}])
    for personas in (10, 100, 1000):
        directory = os.path.join(work, f"library-{personas}")
        generate(arguments, directory, personas, 1)
        library = os.path.join(directory, "library")
        for name in os.listdir(os.path.join(HERE, "project", "personas")):
            shutil.copy(
                os.path.join(HERE, "project", "personas", name),
                os.path.join(library, "personas", name),
            )
        for persona, reach in (("bench-qa", "reaches 2"), (f"p-{personas // 2:04d}", "reaches all")):
            values = []
            for attempt in range(arguments.startup_runs + 1):
                mock = Mock(arguments.mock, script, work)
                try:
                    env = dict(os.environ, OPENAI_BASE_URL=mock.url)
                    code, out, err, cpu, wall = run_measured(
                        [arguments.agentctl, "run", persona, "--task", "T-1"], cwd=library, env=env
                    )
                finally:
                    mock.stop()
                if code != 0 or "Nothing to do." not in out:
                    raise SystemExit(f"`agentctl run {persona}` failed (exit {code}):\n{err[-2000:]}")
                if attempt > 0:
                    values.append(cpu * 1000)
            results[(personas, reach)] = values
            progress(f"start-up with {personas} personas, start {reach}: {fmt_summary(values)} ms CPU")
    return results


def pss_of(pid):
    with open(f"/proc/{pid}/smaps_rollup", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("Pss:"):
                return int(line.split()[1])
    raise SystemExit(f"no Pss line for process {pid}")


def concurrent_pss(arguments, work, count=20):
    script = os.path.join(work, "hang-script.json")
    scenario.write_script(script, ["hang"] * count)
    record = os.path.join(work, "hang-requests.jsonl")
    mock = Mock(arguments.mock, script, work, record=record)
    processes = []
    try:
        for index in range(count):
            project = new_project(work, 1)
            with open(os.path.join(project, "agentctl.toml"), "w", encoding="utf-8") as handle:
                handle.write(agentctl_config(mock.url, 20))
            processes.append(
                subprocess.Popen(
                    [arguments.agentctl, "run", "bench-qa", "--task", "T-1"],
                    cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )
            )
        deadline = time.monotonic() + 60
        while True:
            waiting = 0
            if os.path.exists(record):
                with open(record, encoding="utf-8") as handle:
                    waiting = sum(1 for _ in handle)
            if waiting >= count:
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"only {waiting} of {count} runs reached the model")
            time.sleep(0.05)
        time.sleep(0.2)
        kib = [pss_of(process.pid) for process in processes]
    finally:
        for process in processes:
            process.send_signal(signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        mock.stop()
    total = sum(kib) / 1024
    progress(f"PSS of {count} concurrent runs: {total:.1f} MiB")
    return total, [value / 1024 for value in kib]


def audit(arguments, work):
    directory = os.path.join(work, "audit")
    generate(arguments, directory, 10, 100_000)
    project = os.path.join(directory, "audit-project")
    results = {}
    for label, command in (
        ("show", [arguments.agentctl, "audit", "show", "--task", "T-150", "--json"]),
        ("verify", [arguments.agentctl, "audit", "verify"]),
    ):
        walls, peaks = [], []
        for attempt in range(arguments.audit_runs + 1):
            code, out, err, wall, peak = run_peak(command, cwd=project)
            if code != 0:
                raise SystemExit(f"`agentctl audit {label}` failed (exit {code}):\n{err[-2000:]}")
            if label == "verify" and "100000 entries" not in out:
                raise SystemExit(f"`agentctl audit verify` did not verify 100,000 entries:\n{out}")
            if attempt > 0:
                walls.append(wall * 1000)
                peaks.append(peak / 1024)
        results[label] = (walls, peaks)
        progress(f"audit {label}: {fmt_summary(walls)} ms, {fmt_summary(peaks)} MiB peak")
    return results


# ---------------------------------------------------------------- report


def machine():
    model = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {os.cpu_count()} cores, {model}, "
        f"{memory:.0f} GiB; Linux {platform.release()}; load average before "
        f"{' '.join(f'{value:.1f}' for value in os.getloadavg())}"
    )


def verdict(value, goal, lower_is_better=True):
    met = value <= goal if lower_is_better else value >= goal
    if met:
        return "met"
    return f"missed by {value - goal:.2f}" if lower_is_better else f"missed by {goal - value:.2f}"


def report(arguments, turns, peers_note, starts, pss, audits, versions):
    lines = [f"Measured {machine()}.", ""]
    if arguments.quick:
        lines += ["Quick mode (`--quick`): fewer runs and shorter runs, so wider spreads.", ""]
    lines += [peers_note, ""]
    lines += [
        "### CPU per model turn (ms), median (min – max, n = runs)",
        "",
        "| turns | agentctl, whole process | "
        + " | ".join(f"{peer}, in-run | {peer}, whole process" for peer in PEERS)
        + " | best peer ÷ agentctl |",
        "|---:|---:|" + "---:|---:|" * len(PEERS) + "---:|",
    ]
    for count, table in turns.items():
        ours = statistics.median(table["agentctl"]["cpu"])
        cells = [str(count), fmt_summary(table["agentctl"]["cpu"], 3)]
        best = None
        for peer in PEERS:
            if peer in table and table[peer]["cpu"]:
                cells += [fmt_summary(table[peer]["cpu"]), fmt_summary(table[peer]["process"])]
                median = statistics.median(table[peer]["cpu"])
                best = median if best is None else min(best, median)
            else:
                cells += ["not run", "not run"]
        cells.append(f"{best / ours:.1f}×" if best else "–")
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    first, last = min(turns), max(turns)
    ratio = statistics.median(turns[last]["agentctl"]["cpu"]) / statistics.median(
        turns[first]["agentctl"]["cpu"]
    )
    lines += [
        "### Targets",
        "",
        "| target | measured | verdict |",
        "|---|---:|---|",
    ]
    at_11 = min(turns, key=lambda count: abs(count - 11))
    ours = statistics.median(turns[at_11]["agentctl"]["cpu"])
    lines.append(
        f"| CPU per model turn ≤ 0.5 ms ({at_11} turns, whole process) | {ours:.3f} ms | "
        f"{verdict(ours, 0.5)} |"
    )
    peer_medians = [
        statistics.median(turns[at_11][peer]["cpu"])
        for peer in PEERS
        if peer in turns[at_11] and turns[at_11][peer]["cpu"]
    ]
    if peer_medians:
        factor = min(peer_medians) / ours
        lines.append(
            f"| ≥ 10× ahead of the best peer ({at_11} turns) | {factor:.1f}× | "
            f"{verdict(factor, 10, lower_is_better=False)} |"
        )
    lines.append(
        f"| per-turn CPU at {last} turns within 1.5× of that at {first} | {ratio:.2f}× | "
        f"{verdict(ratio, 1.5)} |"
    )
    for reach, words in (("reaches 2", "the start reaches 2 of them"), ("reaches all", "the start reaches all of them")):
        start_1000 = statistics.median(starts[(1000, reach)])
        lines.append(
            f"| `run` start-up with 1,000 personas ≤ 15 ms CPU ({words}) | {start_1000:.1f} ms | "
            f"{verdict(start_1000, 15)} |"
        )
    show_wall, show_peak = (statistics.median(values) for values in audits["show"])
    verify_wall, verify_peak = (statistics.median(values) for values in audits["verify"])
    lines.append(
        f"| `audit show --task` at 100k entries ≤ 100 ms | {show_wall:.0f} ms | {verdict(show_wall, 100)} |"
    )
    lines.append(
        f"| `audit show --task` at 100k entries ≤ 20 MiB peak | {show_peak:.1f} MiB | {verdict(show_peak, 20)} |"
    )
    lines.append(
        f"| 20 concurrent runs ≤ 40 MiB PSS in total | {pss[0]:.1f} MiB | {verdict(pss[0], 40)} |"
    )
    lines += [
        "",
        "### Start-up, memory, audit log",
        "",
        "| measurement | median (min – max, n = runs) |",
        "|---|---:|",
    ]
    for (personas, reach), values in starts.items():
        lines.append(
            f"| `run` start-up + one model turn, {personas:,} personas, the start {reach} (CPU ms) | {fmt_summary(values)} |"
        )
    lines.append(
        f"| PSS of 20 concurrent `agentctl run`s, total (MiB) | {pss[0]:.1f} (per run {fmt_summary(pss[1])}) |"
    )
    lines.append(f"| `audit show --task T-150 --json`, 100,000 entries (wall ms) | {fmt_summary(audits['show'][0])} |")
    lines.append(f"| the same, peak RSS (MiB) | {fmt_summary(audits['show'][1])} |")
    lines.append(f"| `audit verify`, 100,000 entries (wall ms) | {fmt_summary(audits['verify'][0])} |")
    lines.append(f"| the same, peak RSS (MiB) | {fmt_summary(audits['verify'][1])} |")
    lines.append(
        f"| release binary `agentctl` (MiB) | {os.path.getsize(arguments.agentctl) / 2**20:.1f} |"
    )
    lines += ["", f"Versions: {versions}"]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--agentctl", required=True)
    parser.add_argument("--mock", required=True)
    parser.add_argument("--bench", required=True)
    parser.add_argument("--python", help="the virtualenv's python with the peers installed")
    parser.add_argument("--peers-skipped", default="", help="why the peers are not measured")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--plan",
        help="run lengths and repetitions as TURNS:AGENTCTL_RUNS:PEER_RUNS,... "
        "(default 10:15:7,100:10:5,1000:5:2,3000:3:1; --quick 10:5:3,100:5:2,1000:2:1,3000:1:0)",
    )
    arguments = parser.parse_args()
    plan = arguments.plan
    for name in ("agentctl", "mock", "bench", "python"):
        if getattr(arguments, name):
            setattr(arguments, name, os.path.abspath(getattr(arguments, name)))
    if arguments.quick:
        # (turns, agentctl runs, peer runs)
        arguments.plan = [(10, 5, 3), (100, 5, 2), (1000, 2, 1), (3000, 1, 0)]
        arguments.startup_runs = 5
        arguments.audit_runs = 3
    else:
        arguments.plan = [(10, 15, 7), (100, 10, 5), (1000, 5, 2), (3000, 3, 1)]
        arguments.startup_runs = 15
        arguments.audit_runs = 5
    if plan:
        arguments.plan = [tuple(int(number) for number in item.split(":")) for item in plan.split(",")]
    peers = arguments.python is not None
    if peers:
        peers_note = (
            "Peers: LangGraph and the OpenAI Agents SDK, installed by the script from PyPI at the "
            "pinned versions of scripts/bench/requirements-peers.txt, measured in the same "
            "interleaved rounds against the same mock."
        )
        if any(peer_runs == 0 for _, _, peer_runs in arguments.plan):
            peers_note += " Rows with \"not run\": the peers are skipped at that length in this mode."
    else:
        peers_note = f"Peers SKIPPED: {arguments.peers_skipped or 'no virtualenv given'}; only agentctl was measured."
    work = tempfile.mkdtemp(prefix="agentctl-bench-")
    try:
        code, out, *_ = run_measured([arguments.agentctl, "--version"])
        versions = f"agentctl {out.strip()}"
        if peers:
            code, out, *_ = run_measured(
                [arguments.python, "-c",
                 "import importlib.metadata as m, platform; print(', '.join(f'{p} {m.version(p)}' for p in "
                 "['langgraph', 'langchain-openai', 'openai-agents', 'openai']), "
                 "'; Python', platform.python_version())"]
            )
            versions += f"; {out.strip()}"
        turns = per_turn(arguments, work, peers)
        starts = startup(arguments, work)
        pss = concurrent_pss(arguments, work)
        audits = audit(arguments, work)
        print(report(arguments, turns, peers_note, starts, pss, audits, versions))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

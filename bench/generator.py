#!/usr/bin/env python3
"""Benchmark driver behind bench/generator.sh: builds the synthetic site (bench/synth.py) with opp-site and with
its peers, Hugo and Zola (each when its binary is given), several times each and interleaved (so all see the same
machine load), on tmpfs, with one or both kinds of layouts (bench/layouts/: same-work, bare), and measures

- wall time: time.perf_counter() around the process (GNU time's %e has a 10 ms resolution, a fifth of what is
  measured at 1,000 pages);
- peak memory: GNU time's %M (the process's ru_maxrss; see run_measured for why not wait4's own);
- CPU time: user + system from wait4(2)'s rusage, which shows how much of the wall time is the machine's load;
- the rebuild latency of `serve` after editing one page: from just before the file is written to the moment the
  server prints that the rebuild is done (and its own figure), for opp-site, for `hugo server` (which serves
  from memory in fast-render mode by default in 0.111) and for `zola serve --fast` (in memory, debounce 2 ms).

Prints a Markdown report and writes it to --out. Only the Python 3 standard library is used.
"""

import argparse
import os
import platform
import queue
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the repository
import synth  # noqa: E402  (a sibling script, not a package)


GNU_TIME = "/usr/bin/time"


def run_measured(argv, cwd, env=None):
    """Runs argv to completion; returns (wall seconds, peak RSS in KiB or None, CPU seconds). Fails on error.

    Peak RSS comes from GNU time: a process forked from this Python interpreter inherits its ~20 MiB as the
    high-water mark until exec, so wait4's own ru_maxrss would count Python; `time` is small and reports its
    child's ru_maxrss (%M) alone. CPU time is wait4's (it includes the waited-for grandchild)."""
    rss_file = os.path.join(cwd, ".rss")
    wrapped = [GNU_TIME, "-f", "%M", "-o", rss_file, *argv] if os.path.exists(GNU_TIME) else argv
    # stderr goes to a file: a pipe nobody reads while we wait could fill up and stop the child.
    with open(os.path.join(cwd, ".stderr"), "w+b") as stderr:
        started = time.perf_counter()
        proc = subprocess.Popen(wrapped, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        errors = stderr.read().decode(errors="replace")
    os.remove(os.path.join(cwd, ".stderr"))
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}):\n{errors}")
    rss = None
    if wrapped is not argv:
        with open(rss_file) as f:
            rss = int(f.read().split()[-1])
        os.remove(rss_file)
    return wall, rss, usage.ru_utime + usage.ru_stime


def count_pages(out_dir):
    return sum(1 for _, _, files in os.walk(out_dir) for f in files if f == "index.html")


class Tool:
    def __init__(self, name, argv_for, site_dir):
        self.name, self.argv_for, self.site_dir = name, argv_for, site_dir
        self.runs = []

    def build_once(self, work, out_name):
        out = os.path.join(work, out_name)
        shutil.rmtree(out, ignore_errors=True)
        result = run_measured(self.argv_for(self.site_dir, out), cwd=work)
        pages = count_pages(out)
        shutil.rmtree(out, ignore_errors=True)
        return result, pages


class Server:
    """A preview server whose output lines are read on a thread and stamped with the time they arrived."""

    def __init__(self, argv, cwd, env, ready):
        self.proc = subprocess.Popen(
            argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        )
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.address = self.wait_for(ready, timeout=600)[1].group(1)

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put((time.perf_counter(), line.rstrip("\n")))

    def wait_for(self, pattern, timeout=30):
        """Waits for a line matching `pattern`; returns (the time it arrived, the match)."""
        deadline = time.perf_counter() + timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise SystemExit(f"timed out waiting for /{pattern}/ from {self.proc.args[0]}")
            try:
                stamp, line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            match = re.search(pattern, line)
            if match:
                return stamp, match

    def drain(self):
        while not self.lines.empty():
            self.lines.get_nowait()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def logged_ms(match):
    """The server's own figure from its done line: group 1 a number, group 2 (when there) its unit, ms or s."""
    unit = match.group(2) if match.re.groups >= 2 else "ms"
    return float(match.group(1)) * (1000 if unit == "s" else 1)


def edit_latencies(server, page_file, url, done_pattern, edits):
    """Edits one page `edits` times; returns (end-to-end ms, logged ms) lists. Checks the edit is served."""
    end_to_end, logged = [], []
    with open(page_file, encoding="utf-8") as f:
        original = f.read()
    for k in range(edits):
        time.sleep(0.4)  # let the previous rebuild's events settle
        server.drain()
        marker = f"Bewerking nummer {k} voor de meting."
        text = original + f"\n{marker}\n"
        started = time.perf_counter()
        with open(page_file, "w", encoding="utf-8") as f:
            f.write(text)
        stamp, match = server.wait_for(done_pattern)
        end_to_end.append((stamp - started) * 1000)
        logged.append(logged_ms(match))
        with urllib.request.urlopen(url, timeout=10) as response:
            if marker not in response.read().decode():
                raise SystemExit(f"the edit is not on {url} after the rebuild")
    with open(page_file, "w", encoding="utf-8") as f:
        f.write(original)
    time.sleep(0.5)
    return end_to_end, logged


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_opp(opp_bin, site, work, page_rel, edits):
    # The served folder on tmpfs, like the builds' output; English log lines, which the patterns below read.
    env = dict(os.environ, TMPDIR=work, OPP_LANG="en")
    server = Server(
        [opp_bin, "serve", "--root", site, "--port", "0"], work, env, r"Serving the site on (http://[^/ ]+)/"
    )
    try:
        url = f"{server.address}/{page_rel[:-3]}/"
        return edit_latencies(
            server, os.path.join(site, "content", page_rel), url, r"^(?:Rebuilt|Built) .* in ([0-9.]+) ms", edits
        )
    finally:
        server.stop()


def serve_peer(argv, port, site, work, page_rel, edits, ready, done):
    """A peer's preview server on 127.0.0.1:`port`: `ready` matches its address line, `done` its rebuild line."""
    server = Server(argv, work, None, ready)
    try:
        url = f"http://127.0.0.1:{port}/{page_rel[:-3]}/"
        return edit_latencies(server, os.path.join(site, "content", page_rel), url, done, edits)
    finally:
        server.stop()


def serve_hugo(hugo, site, work, page_rel, edits):
    port = free_port()
    argv = [hugo, "server", "-s", site, "--bind", "127.0.0.1", "--port", str(port), "--disableLiveReload"]
    ready = r"Web Server is available at (http://\S+?)/? "
    return serve_peer(argv, port, site, work, page_rel, edits, ready, r"Total in ([0-9.]+) ms")


def serve_zola(zola, site, work, page_rel, edits):
    # --fast renders only the changed page, like Hugo's fast render; the debounce is opp-site's 2 ms, not
    # Zola's default of 1,000 ms, so that "write to done" compares rebuilds rather than waiting times.
    port = free_port()
    argv = [zola, "--root", site, "serve", "--interface", "127.0.0.1", "--port", str(port), "--fast", "--debounce", "2"]
    ready = r"Web server is available at (http://\S+?)/? "
    return serve_peer(argv, port, site, work, page_rel, edits, ready, r"Done in ([0-9.]+)(ms|s)\.")


PEERS = ("Hugo", "Zola")


def versus_peers(stats, wall, rss):
    """"11.1× Hugo's pages/s, 1/22.6 of its peak memory; 5.2× Zola's ..." for one opp-site row."""
    parts = []
    for peer in PEERS:
        if peer not in stats:
            continue
        peer_wall, peer_rss, _ = stats[peer]
        part = f"{peer_wall / wall:.1f}× {peer}'s pages/s"
        if rss and peer_rss:
            part += f", 1/{peer_rss / rss:.1f} of its peak memory"
        parts.append(part)
    return "; ".join(parts)


def median(values):
    return statistics.median(values) if values else float("nan")


def machine():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            model = next((l.split(":", 1)[1].strip() for l in f if l.startswith("model name")), model)
        with open("/proc/meminfo") as f:
            mem_kb = int(next(l.split()[1] for l in f if l.startswith("MemTotal")))
    except (OSError, StopIteration):
        mem_kb = 0
    return f"{os.cpu_count()} cores ({model}), {mem_kb / 1024 / 1024:.1f} GiB RAM, {platform.system()} {platform.release()}"


def version(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=30).stdout.strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "not available"


def peer_binary(binary):
    """A peer's binary as an absolute path, or None when it is not given (an empty value skips the peer)."""
    if not binary:
        return None
    found = shutil.which(binary)
    if not found:
        raise SystemExit(f"{binary} is not an executable: install it, or leave it unset to skip that peer")
    return os.path.abspath(found)


def build_stats(tools):
    stats = {}
    for tool in tools:
        wall = median([r[0] for r in tool.runs])
        rss = median([r[1] for r in tool.runs if r[1] is not None]) if tool.runs[0][1] else None
        cpu = median([r[2] for r in tool.runs])
        stats[tool.name] = (wall, rss, cpu)
    return stats


def serve_row(n, name, latencies):
    e2e, logged = latencies
    return f"| {n:,} | {name} | {median(logged):.1f} ms | {median(e2e):.1f} ms | {max(e2e):.1f} ms |"


def main():
    parser = argparse.ArgumentParser(description="opp-site vs Hugo and Zola on synthetic content")
    parser.add_argument("--opp-site", required=True, help="the opp-site binary")
    parser.add_argument("--hugo", default=shutil.which("hugo"), help="the hugo binary (skipped when empty)")
    parser.add_argument("--zola", default=shutil.which("zola"), help="the zola binary (skipped when empty)")
    parser.add_argument("--baseline", help="another opp-site binary (e.g. an older commit) to measure alongside")
    parser.add_argument("--pages", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument(
        "--layouts", nargs="+", choices=synth.LAYOUTS, default=["same-work"], help="which kinds of layouts to measure"
    )
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--edits", type=int, default=5, help="serve edits per tool and N (0: skip serve)")
    parser.add_argument("--work", default="/dev/shm/opp-bench", help="where sites and outputs go (tmpfs)")
    parser.add_argument("--out", required=True, help="the Markdown report")
    args = parser.parse_args()

    opp_bin = os.path.abspath(args.opp_site)
    base_bin = os.path.abspath(args.baseline) if args.baseline else None
    # Absolute, because the servers run in the work folder; a bare name (HUGO=hugo) is looked up on PATH.
    hugo, zola = (peer_binary(binary) for binary in (args.hugo, args.zola))
    load_before = os.getloadavg()
    build_rows, serve_rows = [], []
    for n in args.pages:
        work = os.path.join(args.work, str(n))
        os.makedirs(work, exist_ok=True)
        for layouts in args.layouts:
            synth.synthesise(n, work, seed=8, layouts=layouts)
            tools = [Tool("opp-site", lambda site, out: [opp_bin, "build", "--root", site, "--output", out], "opp")]
            if base_bin:
                tools.append(
                    Tool(
                        "opp-site (baseline)",
                        lambda site, out: [base_bin, "build", "--root", site, "--output", out],
                        "opp",
                    )
                )
            if hugo:
                tools.append(Tool("Hugo", lambda site, out: [hugo, "--quiet", "-s", site, "-d", out], "hugo"))
            if zola:
                tools.append(
                    Tool("Zola", lambda site, out: [zola, "--root", site, "build", "--output-dir", out], "zola")
                )
            for tool in tools:  # warm-up: page cache, binaries; not counted
                tool.build_once(work, f"out-{tool.name}")
            for _ in range(args.reps):
                for tool in tools:
                    (wall, rss, cpu), pages = tool.build_once(work, f"out-{tool.name}")
                    if pages < n:
                        raise SystemExit(f"{tool.name} wrote {pages} pages, expected at least {n}")
                    tool.runs.append((wall, rss, cpu))
            stats = build_stats(tools)
            for tool in tools:
                wall, rss, cpu = stats[tool.name]
                ratio = versus_peers(stats, wall, rss) if tool.name.startswith("opp-site") else ""
                memory = f"{rss / 1024:,.1f} MiB" if rss else "n/a (no GNU time)"
                build_rows.append(
                    f"| {n:,} | {layouts} | {tool.name} | {wall * 1000:,.0f} ms | {n / wall:,.0f} | {memory} "
                    f"| {cpu * 1000:,.0f} ms | {ratio} |"
                )
            # The rebuild in serve is measured on the first kind of layouts only: it is about the watcher and the
            # incremental paths, which the templates barely change.
            if args.edits > 0 and layouts == args.layouts[0]:
                site = lambda tool: os.path.join(work, tool)  # noqa: E731
                page_rel = synth.page_rel(n // 2)
                serve_rows.append(
                    serve_row(n, "opp-site serve", serve_opp(opp_bin, site("opp"), work, page_rel, args.edits))
                )
                if base_bin:
                    latencies = serve_opp(base_bin, site("opp"), work, page_rel, args.edits)
                    serve_rows.append(serve_row(n, "opp-site serve (baseline)", latencies))
                if hugo:
                    latencies = serve_hugo(hugo, site("hugo"), work, page_rel, args.edits)
                    serve_rows.append(serve_row(n, "hugo server (fast render, in memory)", latencies))
                if zola:
                    latencies = serve_zola(zola, site("zola"), work, page_rel, args.edits)
                    serve_rows.append(serve_row(n, "zola serve (--fast, in memory, debounce 2 ms)", latencies))
        shutil.rmtree(work, ignore_errors=True)
    try:
        os.rmdir(args.work)
    except OSError:
        pass  # not empty: someone else's files
    load_after = os.getloadavg()

    lines = [
        "### Builds",
        "",
        f"Median of {args.reps} interleaved runs after one warm-up each; sources and output on tmpfs ({args.work}).",
        "*Layouts*: `same-work` templates do the same work in every tool, `bare` ones write only each page's title",
        "and content (bench/layouts/).",
        "",
        "| pages | layouts | tool | wall | pages/s | peak RSS | CPU (user+sys) | opp-site vs peers |",
        "|---:|---|---|---:|---:|---:|---:|---|",
        *build_rows,
        "",
    ]
    if serve_rows:
        lines += [
            "### Rebuild in `serve` after editing one page",
            "",
            f"Median of {args.edits} edits (a sentence appended to one page's body), with `{args.layouts[0]}` "
            "layouts. *Logged*: the tool's own figure (opp-site: from the first change event to the page written; "
            "Hugo: `Total in N ms`; Zola: `Done in N ms`). *Write to done*: from just before the file is written to "
            "the line appearing on the tool's output.",
            "",
            "| pages | server | logged | write to done | slowest write to done |",
            "|---:|---|---:|---:|---:|",
            *serve_rows,
            "",
        ]
    versions = [version([opp_bin, "--version"]), version(["rustc", "--version"])]
    versions += [version([hugo, "version"])] if hugo else []
    versions += [version([zola, "--version"])] if zola else []
    versions.append(f"Python {platform.python_version()}")
    skipped = [name for name, binary in (("Hugo", hugo), ("Zola", zola)) if not binary]
    lines += [
        f"Machine: {machine()}; load average {load_before[0]:.2f} before, {load_after[0]:.2f} after.",
        f"Versions: {'; '.join(versions)}." + (f" Not measured (no binary): {', '.join(skipped)}." if skipped else ""),
        "",
    ]
    report = "\n".join(lines)
    print(report)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(report)


if __name__ == "__main__":
    main()

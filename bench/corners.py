"""Search corners: each query form's in-process median and end-to-end time on one archive.

Usage::

    python bench/corners.py HOME [--repeat N] [--e2e-repeat N] [--gate-off] [--tag TAG]

HOME is an existing archive home (for example ``bench/work/serve-N``, which
``bench/serve_bench.py --size N`` builds from the replicated BBC corpus; the date
range form asks for March 2004, inside that corpus's dates). Each query form runs ``--repeat`` times
in one process through ``archive.Reader(home).search`` with passages, as the CLI
does (the first run, which reads the index's files and fills the fuzzy term lists,
is counted apart as ``first``), and ``--e2e-repeat`` times as a whole
``archive search`` command (process start to exit, after byte-compiling the
package as an installed one is). ``--gate-off`` runs the same with
``ARCHIVE_WHOOSH_INTERNALS=off`` (Whoosh's own fuzzy expansion), to compare.
Then ``--help``, ``show``, ``list``, ``stats`` and ``similar`` are timed end to end
(issue 14 point 5). The load average is recorded at the start and the end.

The result is printed as a table and kept as
``bench/results/<date>-<time>-corners-<articles>[-TAG].json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from resultfile import basic_machine, result_path  # noqa: E402

#: (name, query, options for Reader.search / CLI flags)
FORMS: list[tuple[str, str, dict[str, object]]] = [
    ("words", "oil prices", {}),
    ("phrase", '"oil prices"', {}),
    ("exact word", "=prices", {}),
    ("field", "title:oil", {}),
    ("prefix", "petrol*", {}),
    ("date range", "oil", {"since": "2004-03-01", "until": "2004-03-31"}),
    ("facet", "oil", {"facets": ("tag",)}),
    ("sort by date", "oil", {"sort": "newest"}),
    ("word~2", "goverment~2", {}),
    ("typo path (suggestion, fuzzy retry)", "petrolium exporters", {}),
]


#: Commands timed end to end besides search (issue 14 point 5): name, arguments.
COMMANDS: list[tuple[str, list[str]]] = [
    ("--help", ["--help"]),
    ("show", ["show", "1"]),
    ("list", ["list"]),
    ("stats", ["stats"]),
    ("similar", ["similar", "1"]),
]


def cli_args(query: str, options: dict[str, object]) -> list[str]:
    args = ["search", query, "--color", "never"]
    for key, value in options.items():
        if key == "facets":
            for f in value:  # type: ignore[attr-defined]
                args += ["--facet", str(f)]
        else:
            args += [f"--{key}", str(value)]
    return args


def in_process(home: Path, repeat: int) -> dict[str, dict[str, float]]:
    from archive import Reader

    out: dict[str, dict[str, float]] = {}
    for name, query, options in FORMS:
        reader = Reader(home)
        times = []
        total = 0
        for _ in range(repeat + 1):
            started = time.perf_counter()
            results = reader.search(query, **options)  # type: ignore[arg-type]
            times.append((time.perf_counter() - started) * 1000)
            total = results.total
        out[name] = {
            "first_ms": times[0],
            "median_ms": statistics.median(times[1:]),
            "total": total,
        }
    return out


def end_to_end(home: Path, repeat: int, env: dict[str, str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, query, options in FORMS:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "cli", "--home", str(home), *cli_args(query, options)],
                cwd=ROOT,
                env=env,
                capture_output=True,
                check=True,
            )
            times.append((time.perf_counter() - started) * 1000)
        out[name] = statistics.median(times)
    return out


def commands(home: Path, repeat: int, env: dict[str, str]) -> dict[str, float]:
    """Median wall time (ms) of each of :data:`COMMANDS`, process start to exit."""
    out: dict[str, float] = {}
    for name, args in COMMANDS:
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "cli", "--home", str(home), *args],
                cwd=ROOT,
                env=env,
                capture_output=True,
                check=True,
            )
            times.append((time.perf_counter() - started) * 1000)
        out[name] = statistics.median(times)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("home", type=Path)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--e2e-repeat", type=int, default=5)
    parser.add_argument("--gate-off", action="store_true")
    parser.add_argument("--tag", default="")
    args = parser.parse_args()
    if args.gate_off:
        os.environ["ARCHIVE_WHOOSH_INTERNALS"] = "off"
    started = time.time()
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "archive", "index", "cli.py"],
        cwd=ROOT,
        check=True,
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    from archive import Reader

    articles = Reader(args.home).stats().articles
    load_before = os.getloadavg()
    inproc = in_process(args.home, args.repeat)
    e2e = end_to_end(args.home, args.e2e_repeat, env)
    others = commands(args.home, args.e2e_repeat, env)
    result = {
        "machine": {
            **basic_machine(started),
            "uptime": load_before,
            "uptime_at_end": os.getloadavg(),
        },
        "articles": articles,
        "gate": "off" if args.gate_off else "on",
        "forms": [
            {
                "form": name,
                "query": q,
                "options": {k: list(v) if isinstance(v, tuple) else v for k, v in o.items()},
                **inproc[name],
                "end_to_end_ms": e2e[name],
            }
            for name, q, o in FORMS
        ],
        "commands_end_to_end_ms": others,
    }
    tag = f"-{args.tag}" if args.tag else ""
    path = result_path(f"corners-{articles}{tag}", started)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{articles:,} articles, gate {result['gate']}, load {os.getloadavg()}")
    print(
        "| query form | query | matches | in-process median (ms) | first (ms) | end to end (ms) |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for row in result["forms"]:
        print(
            f"| {row['form']} | `{row['query']}` | {row['total']:,} | {row['median_ms']:.1f} "
            f"| {row['first_ms']:.1f} | {row['end_to_end_ms']:.0f} |"
        )
    print("| command | end to end (ms) |")
    print("| --- | ---: |")
    for name, ms in others.items():
        print(f"| `archive {name}` | {ms:.0f} |")
    print(path)


if __name__ == "__main__":
    main()

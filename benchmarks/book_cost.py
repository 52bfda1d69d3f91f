"""What the book costs to build: execute every chapter at a budget, print time and
memory.

    python benchmarks/book_cost.py --budget quick      # or full
    python benchmarks/book_cost.py --budget full --json cost.json

Each chapter runs in a fresh kernel, as in the build; the peak memory is the kernel's
peak resident set size (``ru_maxrss``). Nothing is cached between chapters except
trained models in ``GANBOOK_CACHE`` (set it to an empty folder to measure a cold
build).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import nbformat
import yaml
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
PEAK_MEMORY_CELL = (
    "import resource; "
    "print('PEAK_RSS_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
)


def chapters() -> list[Path]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()]


def run_chapter(path: Path, timeout: int, keep: Path | None = None) -> dict:
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(PEAK_MEMORY_CELL))
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    text = "".join(o.get("text", "") for o in notebook.cells[-1].outputs)
    if keep is not None:  # the executed notebook, to read what the chapter measured
        keep.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, keep / path.name)
    peak_kb = int(text.split("PEAK_RSS_KB")[1].split()[0])
    return {
        "chapter": path.stem,
        "seconds": round(seconds, 1),
        "peak_mib": round(peak_kb / 1024),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--budget", choices=["quick", "full"], default="quick")
    parser.add_argument(
        "--only", nargs="*", help="chapter file stems to run (default: all)"
    )
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    parser.add_argument(
        "--json", type=Path, help="also write the table as JSON to this file"
    )
    parser.add_argument(
        "--keep", type=Path, help="save the executed notebooks in this folder"
    )
    args = parser.parse_args()
    os.environ["GANBOOK_BUDGET"] = args.budget

    import torch

    rows, failed = [], []
    machine = platform.processor() or platform.machine()
    print(
        f"budget {args.budget} | torch {torch.__version__} | "
        f"threads {torch.get_num_threads()} | {machine} | "
        f"cuda {torch.cuda.is_available()}"
    )
    print("| chapter | wall time (s) | peak memory (MiB) |\n| --- | ---: | ---: |")
    for path in chapters():
        if args.only and path.stem not in args.only:
            continue
        try:
            row = run_chapter(path, args.timeout, args.keep)
        except CellExecutionError as error:
            # Note it and go on: one chapter's failure should not hide the others' cost.
            failed.append(path.stem)
            print(
                f"| {path.stem} | failed | - |\n{str(error)[-1500:]}",
                file=sys.stderr,
                flush=True,
            )
            continue
        rows.append(row)
        print(
            f"| {row['chapter']} | {row['seconds']} | {row['peak_mib']} |", flush=True
        )
    total = round(sum(r["seconds"] for r in rows), 1)
    print(f"| total | {total} | max {max((r['peak_mib'] for r in rows), default=0)} |")
    if failed:
        print(f"failed: {', '.join(failed)} (not in the total)")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "budget": args.budget,
                    "rows": rows,
                    "total_seconds": total,
                    "failed": failed,
                },
                indent=2,
            )
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

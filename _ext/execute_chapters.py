"""Execute the book's chapters in parallel lanes, into the cache the build reads.

    python _ext/execute_chapters.py   # lanes: GANBOOK_LANES, else min(2, cores)

`jupyter-book build` executes notebooks one after another, each with every core; the
chapters' models are small and gain little from a second thread, so two kernels of one
thread each keep two cores busier than one kernel of two threads.
This script executes every chapter that jupyter-cache does not hold yet, as myst-nb
would (same cache, same working folder, same timeout, errors fatal), in ``lanes``
kernels at once; the build that follows finds every chapter cached and only renders.

Chapters start longest first, each after the chapters whose trained models it loads
(``ORDER``), so that two lanes rarely train the same model. If they do, both get the
same result and the model cache's atomic writes keep one.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path

import nbformat
import yaml
from jupyter_cache import get_cache
from jupyter_cache.base import CacheBundleIn
from jupyter_cache.executors.utils import single_nb_execution

ROOT = Path(__file__).resolve().parent.parent

# Longest first, each after the chapters whose models it loads: 7 after 6 (the judge,
# the MLP GAN); 9 after 6 and 7 (the judge, the MLP GAN, the ring GANs); 8 after 2, 3
# and 7 (the autoencoder, the VAE, the least-squares GAN); 10 after 8 and 9, whose
# models its closing table measures (it trains its own model first, so the other
# lane's chapter has time to finish). With two lanes: 11, 2, 3 and then 7 in one (6
# caches the judge and the MLP GAN in its first minutes, before 7 needs them); 6, then
# 5 (about two minutes, so that 9 starts once 7's ring GANs, its first three minutes,
# are cached), 9, 8 and 10 in the other. Chapters not named (each a few seconds) run
# after these, in the table of contents' order.
ORDER = [
    "book/06_mnist_gan",
    "book/11_text_lstm",
    "book/02_autoencoders",
    "book/03_vae",
    "book/07_lsgan",
    "book/05_toy_gan",
    "book/09_wgan",
    "book/08_dcgan",
    "book/10_cgan",
]


def chapters() -> list[Path]:
    """Every notebook in the table of contents, in the order the lanes take them."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]] + [c["file"] for p in toc["parts"] for c in p["chapters"]]
    files = [f for f in files if (ROOT / f"{f}.ipynb").exists()]
    ordered = [f for f in ORDER if f in files] + [f for f in files if f not in ORDER]
    return [ROOT / f"{f}.ipynb" for f in ordered]


def execute(path: Path, timeout: int) -> tuple[str, float, str | None]:
    """Run one chapter in a fresh kernel, in its own folder, as myst-nb does."""
    notebook = nbformat.read(path, as_version=4)
    result = single_nb_execution(
        notebook,
        cwd=str(path.parent),
        timeout=timeout,
        allow_errors=False,
        meta_override=True,
    )
    error = None if result.err is None else result.exc_string
    return nbformat.writes(notebook), result.time, error


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cores = os.cpu_count() or 1
    default_lanes = int(os.environ.get("GANBOOK_LANES", min(2, cores)))
    parser.add_argument("--lanes", type=int, default=default_lanes)
    args = parser.parse_args()
    if args.lanes < 1:
        parser.error(f"--lanes={args.lanes}: allowed 1 or more")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())["execute"]
    cache = get_cache(str(ROOT / config["cache"]))

    todo = []
    for path in chapters():
        try:
            cache.match_cache_notebook(nbformat.read(path, as_version=4))
            print(f"{path.stem}: cached", flush=True)
        except KeyError:
            todo.append(path)
    if not todo:
        return 0
    # The cores are shared between the lanes; the kernels inherit these variables.
    threads = str(max(1, cores // args.lanes))
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, threads)
    print(
        f"executing {len(todo)} chapters in {args.lanes} lanes of "
        f"{os.environ['OMP_NUM_THREADS']} thread(s)",
        flush=True,
    )

    failed, start = [], time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.lanes) as pool:
        running = {pool.submit(execute, p, config["timeout"]): p for p in todo}
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                path = running.pop(future)
                text, seconds, error = future.result()
                if error is not None:
                    print(f"{path.stem}: FAILED after {seconds:.0f} s\n{error}")
                    failed.append(path.stem)
                    continue
                # The database is written by this process only, never by the lanes.
                record = cache.add_nb_to_project(str(path))
                cache.cache_notebook_bundle(
                    CacheBundleIn(
                        nbformat.reads(text, as_version=4),
                        record.uri,
                        data={"execution_seconds": seconds},
                    ),
                    check_validity=False,
                    overwrite=True,
                )
                elapsed = time.perf_counter() - start
                print(
                    f"{path.stem}: executed in {seconds:.0f} s "
                    f"(book so far {elapsed:.0f} s)",
                    flush=True,
                )
    print(f"all chapters: {time.perf_counter() - start:.0f} s")
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

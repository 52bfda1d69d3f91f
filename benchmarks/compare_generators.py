"""The book's comparison of generators, as JSON: the table of chapter 10
(book/10_cgan, built by helpers.compare), to track.

    GANBOOK_BUDGET=full python benchmarks/compare_generators.py            # print JSON
    GANBOOK_BUDGET=full python benchmarks/compare_generators.py --out table.json

Every model comes from the cache when the chapters have run with the same budget (else
it is trained now, with the chapters' settings, through ``trained``). Each row holds the
Fréchet distance to real test digits in the MNIST classifier's feature space, the
classifier score, the classes covered (at least 1% of the samples), the class histogram,
the training steps and the recorded training time. The first row is the floor: real
training digits. The DCGANs' steps follow from the MLP GAN's FLOPs, as in the chapter
(``helpers.dcgan.book_dcgans``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys

from helpers.compare import comparison


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="also write the JSON to this file")
    parser.add_argument(
        "--progress",
        action="store_true",
        help="show progress bars for models trained now",
    )
    args = parser.parse_args(argv)
    # Training summaries go to stderr: stdout is the JSON alone.
    with contextlib.redirect_stdout(sys.stderr):
        table = comparison(progress=args.progress)
    text = json.dumps(table, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w") as out:
            out.write(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

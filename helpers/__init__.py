"""Small helpers shared by the chapters of the book.

One module per concern:

- ``config``: budgets, data root, device choice, seeding.
- ``data``: MNIST as tensors, an in-memory batch iterator, file fetching.
- ``training``: a generic training loop with progress, NaN guard and interrupts.
- ``checkpoints``: saving, loading and caching trained models.
- ``plots``: image grids and loss curves.
- ``widgets``: control panels that retrain and redraw.
Chapter-specific modules (autoencoders, gan, ...) build on these.
"""

__version__ = "0.1.0"

"""The helpers the chapters of the book import, in the book's order.

Shared building blocks first:

- ``config``: budgets, the data root, the model cache's folder, the device.
- ``data``: MNIST as tensors on the device, an in-memory batch iterator, file fetching,
  pixel scales.
- ``nets``: MLP stacks, DCGAN initialisation, shape tracing, parameter counts, an
  eval-mode context manager.
- ``training``: the one training loop (``fit``), its ``History``, scoped seeding.
- ``cache``: ``trained(settings)``, the one way to get a trained model of any family.
- ``plots``: figures and tables.
- ``widgets``: control panels.
- ``page``: what the published page runs without a kernel (ONNX generators, recorded
  runs, the place of a live panel).

Then one module per model family, in the order the chapters meet them: ``autoencoders``
(chapter 2), ``vae`` (3), ``divergences`` (4), ``gan`` (5-7: losses, the loop, the toy,
ring and MNIST MLP GANs), ``metrics`` (6-10: the judge and its measures), ``dcgan`` (8),
``wgan`` (9: the critic, its penalty or clipping, the ring and MNIST WGANs), ``cgan``
(10: the conditional GAN), ``compare`` (10: every generator measured the same way),
``text`` (11). A family module defines its networks, its settings dataclass (which
builds and trains them) and what the chapters measure with them; it imports only the
building blocks and earlier families.

Where a panel's action lives: in the chapter. A panel (``widgets.train_panel`` or
``widgets.live_panel``) calls a function the chapter defines in a visible cell, which
the chapter also calls once at its budget's settings, so the reader sees (and may edit)
what a control does, and the widget path is the path the build executes. The helpers
provide what such a function is made of (``trained``, the measures, the figures), never
the action itself.

The published page has no kernel, so each chapter also exports, in a cell right after
the one that computed them, the models and runs its kernel-free panels show
(``page.export_onnx``, ``export_json``, ``export_png``) and places the panel
(``page.live``); the panel's drawing lives in the site's script
(``_ext/static/live/panels/``).
"""

__version__ = "0.2.0"

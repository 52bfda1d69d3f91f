"""Test set-up: the quick budget unless told otherwise; patience for notebook output."""

import os

# Notebook kernels inherit this environment, so nbval runs every chapter quickly.
os.environ.setdefault("GANBOOK_BUDGET", "quick")


def pytest_configure(config):
    # nbval waits only 5 s for each output message after a cell ends (nbval #136/#151);
    # on a busy 2-core machine progress bars and widgets can take longer to arrive.
    try:
        from nbval import plugin
    except ImportError:
        return
    original_init = plugin.IPyNbCell.__init__

    def patient_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        self.output_timeout = 120

    if not getattr(plugin.IPyNbCell, "_ganbook_patient", False):
        plugin.IPyNbCell.__init__ = patient_init
        plugin.IPyNbCell._ganbook_patient = True

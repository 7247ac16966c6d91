"""tidings: a cited, ACLED-style event ledger from news pages."""

import os

# One BLAS thread per process, set before numpy loads: tidings runs a process per core over documents,
# and spaCy's small matrices gain nothing from BLAS threads, which only spin on the other workers'
# cores (measured: 12% less CPU in spaCy with one thread). A value the user set is kept.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

__version__ = "0.1.0"

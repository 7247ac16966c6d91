"""Give thinc's bundled BLIS its AVX2 kernels on CPUs it does not recognise.

spaCy's parser and NER run their transition loops in C and call BLIS from there (thinc's `CBlas`:
`sgemm` for the output layer and `saxpy` to sum state features, once per step), so moving spaCy's layers
to numpy's BLAS (`mentions.load_model`) does not reach them. The `blis` wheel has kernels for
Haswell, Zen, Zen2 and Skylake-X, but maps a CPU it does not know (this VM's AMD EPYC, family 25) to
its slow "generic" reference kernels, and its `BLIS_ARCH_TYPE` override is compiled out. When BLIS chose
"generic" on a CPU with AVX2 and FMA, we re-initialise its active context with the Haswell kernels
(plain AVX2+FMA code, which any such CPU runs), through the library's own exported `bli_cntx_init_haswell`.
BLIS grows its packing buffers when a context asks for bigger blocks, so the swap is safe after use too.
"""

import ctypes
import logging
from pathlib import Path

log = logging.getLogger(__name__)

_REQUIRED_FLAGS = {"avx2", "fma"}
_done: bool | None = None


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def use_avx2_kernels() -> bool:
    """Swap BLIS's generic kernels for its Haswell ones when that is safe; True if BLIS now uses them
    (or already used optimised kernels). Idempotent and cheap after the first call."""
    global _done
    if _done is not None:
        return _done
    _done = False
    try:
        import blis.cy

        lib = ctypes.CDLL(blis.cy.__file__)  # the copy Python loaded: same global BLIS state
        query_id, arch_string = lib.bli_arch_query_id, lib.bli_arch_string
        init_haswell, query_cntx = lib.bli_cntx_init_haswell, lib.bli_gks_query_cntx
    except (ImportError, OSError, AttributeError):
        return False  # another BLIS build (or none): nothing to do
    query_id.restype = ctypes.c_int
    arch_string.restype, arch_string.argtypes = ctypes.c_char_p, [ctypes.c_int]
    query_cntx.restype = ctypes.c_void_p
    init_haswell.argtypes, init_haswell.restype = [ctypes.c_void_p], None
    arch = arch_string(query_id()).decode()
    if arch != "generic":
        _done = True  # BLIS recognised the CPU and picked its own kernels
        return True
    if not _cpu_flags() >= _REQUIRED_FLAGS:
        return False
    init_haswell(query_cntx())
    log.debug("BLIS: generic kernels replaced by the Haswell (AVX2+FMA) ones")
    _done = True
    return True

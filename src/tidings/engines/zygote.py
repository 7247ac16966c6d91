"""Imported by the local engine's fork server (`multiprocessing`'s "forkserver", started fresh for a run):
loads the models for the run's Context, passed in the environment, once. Every worker of the run is then
forked from that server and shares those pages copy-on-write; a worker whose Context differs loads its own."""

from __future__ import annotations

import base64
import gc
import os
import pickle

from tidings.pipeline import Context, warm_up

ENV = "TIDINGS_ZYGOTE_CONTEXT"


def encode(ctx: Context) -> str:
    return base64.b64encode(pickle.dumps(ctx)).decode()


def _preload() -> Context | None:
    data = os.environ.get(ENV)
    if not data:
        return None
    ctx: Context = pickle.loads(base64.b64decode(data))  # written by this run's own main process
    warm_up(ctx)
    gc.freeze()  # the collector in a worker then never writes to (and so copies) these objects
    return ctx


PRELOADED: Context | None = _preload()

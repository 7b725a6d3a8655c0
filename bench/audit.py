"""audit: what the verifiable log costs: building its tree, proofs, and an auditor's full check.

On a copy of the dataset, in the same run: the raw read and decode of the whole log (the
baseline); rebuilding the audit tree from zero; 200 inclusion and 200 consistency proofs read
from the stored tree, each from a fresh read as a request makes it; and ``k2k audit verify
--full`` (signature, every entry downloaded over HTTP from a local server and rehashed) against
the service on 127.0.0.1.
"""

from __future__ import annotations

import io
import random
import tempfile
import threading
import time
from pathlib import Path

from werkzeug.serving import make_server

from bench.common import Report, Row, ratio_row, read_log, runtime_on
from bench.datasets import Dataset, working_copy
from projections.audit import AuditLogProjection, StoredTree
from projections.signed_note import NoteSigner
from service import create_app
from service.audit.keys import write_key_files
from service.audit.verify import ExitCode, LogClient, run_verification

PROOFS = 200


def run(dataset: Dataset) -> Report:
    """Measure the tree's rebuild, proofs and a full verification against the raw read."""
    report = Report("audit", dataset.backend, dataset.events)
    with (
        tempfile.TemporaryDirectory(prefix="k2k-bench-") as folder,
        working_copy(dataset, folder) as url,
    ):
        with runtime_on(url, folder) as runtime:
            events, seconds = read_log(runtime)
            raw = events / seconds
            report.add(Row("raw select_notifications + decode (baseline)", raw, "events/s"))
            started = time.perf_counter()
            runtime.runner.rebuild(AuditLogProjection.name)
            built = events / (time.perf_counter() - started)
            report.add(ratio_row("audit tree rebuilt from zero", built, "events/s", raw))
            rng = random.Random(dataset.seed)
            with runtime.engine.connect() as conn:
                size = StoredTree(conn).size
                started = time.perf_counter()
                for _ in range(PROOFS):
                    StoredTree(conn).inclusion_proof(rng.randrange(size), size)
                inclusion = (time.perf_counter() - started) / PROOFS * 1000
                started = time.perf_counter()
                for _ in range(PROOFS):
                    StoredTree(conn).consistency_proof(rng.randrange(1, size), size)
                consistency = (time.perf_counter() - started) / PROOFS * 1000
            report.add(Row("inclusion proof from the stored tree", inclusion, "ms mean"))
            report.add(Row("consistency proof from the stored tree", consistency, "ms mean"))

        key = Path(folder) / "audit.key"
        write_key_files(NoteSigner.generate("bench.k2k/log"), key)
        app = create_app(
            {
                "K2K_DATABASE_URL": url,
                "K2K_DATA_DIR": folder,
                "K2K_AUDIT_KEY_FILE": str(key),
                "K2K_BACKGROUND": "0",
            }
        )
        served = app.extensions["k2k"]
        try:
            assert served.checkpointer is not None
            signed = served.checkpointer.sign_if_due(force=True)
            assert signed is not None
            server = make_server("127.0.0.1", 0, app, threaded=True)
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            try:
                started = time.perf_counter()
                code = run_verification(
                    LogClient(f"http://127.0.0.1:{server.server_port}"),
                    Path(f"{key}.pub"),
                    full=True,
                    quiet=True,
                    out=io.StringIO(),
                    err=io.StringIO(),
                )
                verified = signed.size / (time.perf_counter() - started)
                if code != ExitCode.OK:
                    raise RuntimeError(f"k2k audit verify --full failed with {code!r}")
            finally:
                server.shutdown()
                server.server_close()
        finally:
            served.close()
    report.add(ratio_row("k2k audit verify --full over HTTP", verified, "events/s", raw))
    return report

"""What the verifiable log costs: building its tree, proofs, and an auditor's full check.

    python -m bench.audit [--backend sqlite|postgres] [--cases 300] [--repeat 3]

Each run builds a fresh store (the relay benchmark's cases), then measures in the same run: the
raw read and decode of the whole log (the baseline); rebuilding the audit tree from zero; 200
inclusion and 200 consistency proofs read from the stored tree; and ``k2k audit verify --full``
(signature, every entry downloaded over HTTP from a local server and rehashed) against the
service on 127.0.0.1. Medians of ``--repeat``.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import tempfile
import threading
import time
from pathlib import Path

from werkzeug.serving import make_server

from bench.relay import read_log, seed
from bench.webhooks import store
from projections.audit import AuditLogProjection, StoredTree
from projections.signed_note import NoteSigner
from service import create_app
from service.audit.keys import write_key_files
from service.audit.verify import ExitCode, LogClient, run_verification

PROOFS = 200


def one_run(backend: str, cases: int) -> dict[str, float]:
    """Figures of one fresh store."""
    with tempfile.TemporaryDirectory() as folder, store(backend, folder) as runtime:
        events = seed(runtime, cases)
        raw = read_log(runtime)
        started = time.perf_counter()
        runtime.runner.rebuild(AuditLogProjection.name)
        built = time.perf_counter() - started

        rng = random.Random(8)
        with runtime.engine.connect() as conn:
            tree = StoredTree(conn)
            size = tree.size
            started = time.perf_counter()
            for _ in range(PROOFS):
                tree = StoredTree(conn)  # each request reads the tree afresh
                tree.inclusion_proof(rng.randrange(size), size)
            inclusion = (time.perf_counter() - started) / PROOFS
            started = time.perf_counter()
            for _ in range(PROOFS):
                tree = StoredTree(conn)
                tree.consistency_proof(rng.randrange(1, size), size)
            consistency = (time.perf_counter() - started) / PROOFS

        key = Path(folder) / "audit.key"
        write_key_files(NoteSigner.generate("bench.k2k/log"), key)
        app = create_app(
            {
                "K2K_DATABASE_URL": runtime.settings.database_url,
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
                url = f"http://127.0.0.1:{server.server_port}"
                started = time.perf_counter()
                code = run_verification(
                    LogClient(url),
                    Path(f"{key}.pub"),
                    full=True,
                    quiet=True,
                    out=io.StringIO(),
                    err=io.StringIO(),
                )
                verified = time.perf_counter() - started
                assert code == ExitCode.OK, code
            finally:
                server.shutdown()
        finally:
            served.close()
    return {
        "events": events,
        "raw_events_per_s": events / raw,
        "tree_events_per_s": events / built,
        "inclusion_ms": inclusion * 1000,
        "consistency_ms": consistency * 1000,
        "verified_events": signed.size,
        "verify_full_events_per_s": signed.size / verified,
    }


def main() -> None:
    """Run and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    runs = [one_run(args.backend, args.cases) for _ in range(args.repeat)]
    median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    print(f"audit benchmark: {args.backend}, {args.cases} cases, median of {args.repeat}")
    print(f"  events in the log             {median['events']:>9.0f}")
    print(f"  raw log read + decode         {median['raw_events_per_s']:>9.0f} events/s (baseline)")
    print(
        f"  audit tree rebuilt from zero  {median['tree_events_per_s']:>9.0f} events/s "
        f"({median['tree_events_per_s'] / median['raw_events_per_s']:.2f} x raw)"
    )
    print(f"  inclusion proof (stored tree) {median['inclusion_ms']:>9.2f} ms")
    print(f"  consistency proof             {median['consistency_ms']:>9.2f} ms")
    print(
        f"  verify --full over HTTP       {median['verify_full_events_per_s']:>9.0f} events/s "
        f"({median['verify_full_events_per_s'] / median['raw_events_per_s']:.2f} x raw)"
    )


if __name__ == "__main__":
    main()

"""Peak memory (RSS) of a classify worker: start-up, model load, and scoring a batch stream.

    .venv/bin/python bench/classifier_memory.py [--messages 500]

Runs the real worker code (`Worker(ClassifyStage(settings)).drain()`) in a child process on a fresh
SQLite database holding N seed messages, and reports the child's peak RSS (ru_maxrss)
after each phase. The shipped model runs on ONNX Runtime, so the worker never imports torch.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, threading
sys.path.insert(0, sys.argv[1])
def peak(): return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
phases = {}
from services.classifier import data
from services.classifier.stage import ClassifyStage
from services.ingest.sink import Sink
from shared import migrate
from shared.db import Database
from shared.pipeline import Worker, WorkerConfig
from shared.settings import get_settings
from tests.conftest import make_incoming
phases["imports_mb"] = peak()
database = Database(f"sqlite:///{sys.argv[2]}/bench.db")
migrate.upgrade(database.engine)
texts = [e.text for e in data.read_csv(data.Path(sys.argv[1]) / "data/seed/messages.csv")][: int(sys.argv[3])]
Sink(database, "bench").store([make_incoming(t) for t in texts])
stage = ClassifyStage(get_settings())
stage.classifier()
phases["model_loaded_mb"] = peak()
handled = Worker(stage, database, WorkerConfig(batch_size=64)).drain(threading.Event())
phases["after_scoring_mb"] = peak()
phases["messages"] = handled
phases["torch_imported"] = "torch" in sys.modules
print(json.dumps(phases))
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        output = subprocess.run(
            [sys.executable, "-c", CHILD, str(ROOT), scratch, str(args.messages)],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
    phases = json.loads(output.stdout.strip().splitlines()[-1])
    print(
        f"classify worker peak RSS: {phases['imports_mb']} MB after imports, {phases['model_loaded_mb']} MB "
        f"with the model loaded, {phases['after_scoring_mb']} MB after scoring {phases['messages']} messages "
        f"(torch imported: {phases['torch_imported']})"
    )
    print(json.dumps(phases))


if __name__ == "__main__":
    main()

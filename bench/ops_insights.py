"""Server time of the ops, insights and follow-up pages with many signals in PostgreSQL.

    .venv/bin/python bench/ops_insights.py [--signals 100000] [--requests 20] [--postgres-url URL]

Stores N routed signals with bench/api.py's generator (90 days, open follow-ups), then
calls the real app in-process as an admin and prints the median and p95 of each request.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from bench.api import run  # noqa: E402

REQUESTS = {
    "ops page": ("/ops", {}),
    "API ops pipeline": ("/api/v1/ops/pipeline", {}),
    "API ops hourly": ("/api/v1/ops/hourly", {}),
    "insights page (12 weeks)": ("/insights", {}),
    "API insights": ("/api/v1/insights", {}),
    "follow-ups page (all, page 1)": ("/followups", {}),
    "API follow-ups due (page 100)": ("/api/v1/followups/due", {"page": 100}),
}


def main() -> None:
    run(__doc__.splitlines()[0], REQUESTS, role="admin", repeat=20)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""One DAG run's task logic against real services: trigger_ingest -> wait_for_ingest -> check_freshness.

    python3 docker/airflow/tests/live_check.py --ingest http://127.0.0.1:5001 --processor http://127.0.0.1:5002 \
        --key e2e-1 --sla 900 --timeout 120 [--poll 1] [--stages ticks,candles] [--freshness-wait 60]

--ingest / --processor default to CRYPTOETL_INGEST_URL / CRYPTOETL_PROCESSOR_URL (or Aspire's services__*).
Prints exactly one JSON line on stdout and exits 0 when every step passed; otherwise the JSON line has "ok": false,
the failed step, the error type and message, the message also goes to stderr, and the exit code says what failed:
  1 anything else   2 bad arguments   3 a service unreachable, busy (409) or answering wrongly
  4 the Ingest run failed   5 the Ingest run did not finish in time   6 the data is stale
"""

import argparse
import json
import logging
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "dags"))

import crypto_etl_tasks as tasks  # noqa: E402

EXIT_CODES = (
    (tasks.IngestRunFailed, 4),
    (tasks.IngestTimeout, 5),
    (tasks.StaleData, 6),
    (tasks.ServiceUnavailable, 3),
    (tasks.UnexpectedResponse, 3),
    (tasks.IngestBusy, 3),
    (tasks.ServiceUrlError, 2),
)


def _positive(text):
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be > 0, got {}".format(text))
    return value


def _stages(text):
    stages = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in stages if s not in tasks.STAGES]
    if not stages or unknown:
        raise argparse.ArgumentTypeError("must be a comma-separated list of {}".format(", ".join(tasks.STAGES)))
    return stages


def parse(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ingest", help="Ingest base URL (default: CRYPTOETL_INGEST_URL)")
    parser.add_argument("--processor", help="Processor base URL (default: CRYPTOETL_PROCESSOR_URL)")
    parser.add_argument("--key", required=True, help="Idempotency-Key for POST /runs (the DAG uses its run id)")
    parser.add_argument("--sla", type=_positive, required=True, help="freshness SLA in seconds")
    parser.add_argument("--timeout", type=_positive, required=True, help="seconds to wait for the Ingest run")
    parser.add_argument("--poll", type=_positive, default=1.0, help="seconds between polls (default 1)")
    parser.add_argument("--stages", type=_stages, default=list(tasks.DEFAULT_FRESHNESS_STAGES),
                        help="stages checked for freshness (default ticks,candles)")
    parser.add_argument("--freshness-wait", type=float, default=0.0,
                        help="keep re-checking stale data for up to this many seconds, as Airflow's retries would "
                             "(default 0: check once)")
    parser.add_argument("--request-timeout", type=_positive, default=30.0, help="per-request timeout (default 30)")
    return parser.parse_args(argv)


def _record_run(result, run):
    result.update({k: run.get(k) for k in ("runId", "status", "source", "fetched", "published", "duplicates",
                                           "rejected", "durationSeconds")})
    result["runError"] = run.get("error")


def check(args, result):
    result["step"] = "resolve_urls"
    ingest = tasks.service_url("ingest") if not args.ingest else tasks.normalize_url(args.ingest, "--ingest")
    processor = tasks.service_url("processor") if not args.processor \
        else tasks.normalize_url(args.processor, "--processor")

    result["step"] = "trigger_ingest"
    run = tasks.trigger_ingest(ingest, args.key, timeout=args.request_timeout)
    result["runId"] = run["runId"]
    result["status"] = run["status"]

    result["step"] = "wait_for_ingest"
    run = tasks.wait_for_ingest(ingest, run["runId"], args.timeout, args.poll,
                                request_timeout=min(args.request_timeout, args.timeout))
    _record_run(result, run)

    result["step"] = "check_freshness"
    deadline = time.monotonic() + max(0.0, args.freshness_wait)
    while True:
        try:
            freshness = tasks.check_freshness(processor, args.sla, args.stages, timeout=args.request_timeout)
            break
        except tasks.StaleData as stale:
            result["freshnessAgeSeconds"] = tasks.stage_ages(stale.freshness)
            if time.monotonic() + args.poll > deadline:
                raise
            time.sleep(args.poll)
    result["freshnessAgeSeconds"] = tasks.stage_ages(freshness)
    result["consumerLag"] = freshness.get("consumerLag")
    result["checkedAt"] = freshness.get("checkedAt")
    result["step"] = None


def main(argv=None):
    args = parse(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="live_check: %(levelname)s %(message)s")
    result = {"ok": False, "key": args.key, "sla": args.sla, "stages": args.stages}
    try:
        check(args, result)
        result["ok"] = True
        code = 0
    except Exception as error:  # every failure becomes one JSON line and an exit code
        code = next((c for kind, c in EXIT_CODES if isinstance(error, kind)), 1)
        result["errorType"] = type(error).__name__
        result["error"] = str(error)
        if isinstance(error, tasks.IngestRunFailed):
            _record_run(result, error.run)
        elif isinstance(error, tasks.IngestTimeout) and error.last_run:
            _record_run(result, error.last_run)
        print("live_check: {} failed: {}".format(result.get("step"), error), file=sys.stderr)
    print(json.dumps(result, sort_keys=True))
    sys.stdout.flush()
    return code


if __name__ == "__main__":
    sys.exit(main())

"""live_check.py as the .NET end-to-end test runs it: a subprocess, one JSON line, an exit code per failure kind.

Run: cd docker/airflow && /usr/bin/python3 -m unittest discover -s tests -v
"""

import json
import os
import subprocess
import sys
import unittest

from fakes import Answer, FakeService, closed_port_url, freshness, problem, run

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "live_check.py")
RUN_PATH = "/runs/20240101T000000Z-abc"


class LiveCheckTest(unittest.TestCase):
    def setUp(self):
        self.ingest = FakeService()
        self.processor = FakeService()
        self.addCleanup(self.ingest.close)
        self.addCleanup(self.processor.close)

    def live_check(self, *extra, ingest=None, sla="900", timeout="5"):
        command = [sys.executable, SCRIPT, "--ingest", ingest or self.ingest.url, "--processor", self.processor.url,
                   "--key", "e2e-1", "--sla", sla, "--timeout", timeout, "--poll", "0.05"] + list(extra)
        environment = {k: v for k, v in os.environ.items() if not k.startswith("CRYPTOETL_")}
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=environment)
        lines = done.stdout.strip().splitlines()
        self.assertEqual(1, len(lines), done.stdout + done.stderr)
        return done.returncode, json.loads(lines[0]), done.stderr

    def test_success_prints_the_run_and_the_ages(self):
        self.ingest.script("POST", "/runs", Answer(202, run(key="e2e-1")))
        self.ingest.script("GET", RUN_PATH, Answer(200, run()), Answer(200, run(status="succeeded", published=249)))
        self.processor.script("GET", "/api/pipeline/freshness", Answer(200, freshness()))
        code, result, _ = self.live_check()
        self.assertEqual(0, code, result)
        self.assertIs(True, result["ok"])
        self.assertEqual("20240101T000000Z-abc", result["runId"])
        self.assertEqual("succeeded", result["status"])
        self.assertEqual(249, result["published"])
        self.assertEqual({"ticks": 12.5, "candles": 40.0, "latest": 12.5, "alerts": None},
                         result["freshnessAgeSeconds"])
        self.assertEqual({"transform": 0, "load": 3}, result["consumerLag"])
        self.assertEqual("e2e-1", self.ingest.requests[0][2]["Idempotency-Key"])

    def test_a_failed_run_exits_4_with_the_runs_error(self):
        self.ingest.script("POST", "/runs", Answer(202, run()))
        self.ingest.script("GET", RUN_PATH, Answer(200, run(status="failed", error="Kafka: all brokers down")))
        code, result, stderr = self.live_check()
        self.assertEqual(4, code)
        self.assertEqual("wait_for_ingest", result["step"])
        self.assertEqual("IngestRunFailed", result["errorType"])
        self.assertEqual("Kafka: all brokers down", result["runError"])
        self.assertIn("Kafka: all brokers down", stderr)

    def test_a_run_that_never_finishes_exits_5(self):
        self.ingest.script("POST", "/runs", Answer(202, run()))
        self.ingest.script("GET", RUN_PATH, Answer(200, run()))
        code, result, _ = self.live_check(timeout="0.3")
        self.assertEqual(5, code)
        self.assertEqual("IngestTimeout", result["errorType"])
        self.assertEqual("running", result["status"])

    def test_stale_data_exits_6_after_waiting(self):
        self.ingest.script("POST", "/runs", Answer(202, run(status="succeeded")))
        self.ingest.script("GET", RUN_PATH, Answer(200, run(status="succeeded")))
        self.processor.script("GET", "/api/pipeline/freshness", Answer(200, freshness(ticks_age=None)))
        code, result, _ = self.live_check("--freshness-wait", "0.3")
        self.assertEqual(6, code)
        self.assertEqual("check_freshness", result["step"])
        self.assertIn("ticks has no data yet", result["error"])
        self.assertGreater(self.processor.count("GET", "/api/pipeline/freshness"), 1)

    def test_stale_then_fresh_within_the_wait_succeeds(self):
        self.ingest.script("POST", "/runs", Answer(202, run(status="succeeded")))
        self.ingest.script("GET", RUN_PATH, Answer(200, run(status="succeeded")))
        self.processor.script("GET", "/api/pipeline/freshness", Answer(200, freshness(candles_age=None)),
                              Answer(200, freshness()))
        code, result, _ = self.live_check("--freshness-wait", "10")
        self.assertEqual(0, code, result)

    def test_ingest_down_exits_3_with_the_cause(self):
        code, result, _ = self.live_check(ingest=closed_port_url())
        self.assertEqual(3, code)
        self.assertEqual("trigger_ingest", result["step"])
        self.assertIn("cannot connect", result["error"])

    def test_ingest_busy_exits_3(self):
        self.ingest.script("POST", "/runs", problem(409, "A run is already active", "busy", activeRunId="other"))
        code, result, _ = self.live_check()
        self.assertEqual(3, code)
        self.assertEqual("IngestBusy", result["errorType"])
        self.assertIn("other", result["error"])

    def test_bad_arguments_exit_2(self):
        done = subprocess.run([sys.executable, SCRIPT, "--key", "k", "--sla", "0", "--timeout", "1"],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(2, done.returncode)
        self.assertIn("--sla", done.stderr)


if __name__ == "__main__":
    unittest.main()

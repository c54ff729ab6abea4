"""trigger_ingest / wait_for_ingest / check_freshness over real HTTP against an in-process fake server.

Run: cd docker/airflow && /usr/bin/python3 -m unittest discover -s tests -v
"""

import time
import unittest

from fakes import Answer, FakeService, closed_port_url, freshness, problem, run

import crypto_etl_tasks as tasks

RUN_ID = "20240101T000000Z-abc"
RUN_PATH = "/runs/" + RUN_ID


class HttpTestCase(unittest.TestCase):
    def setUp(self):
        self.service = FakeService()
        self.addCleanup(self.service.close)


class TriggerIngestTest(HttpTestCase):
    def test_202_returns_the_run_and_sends_the_idempotency_key(self):
        self.service.script("POST", "/runs", Answer(202, run(key="scheduled__2024-01-01T00:05:00+00:00")))
        result = tasks.trigger_ingest(self.service.url + "/", "scheduled__2024-01-01T00:05:00+00:00")
        self.assertEqual(RUN_ID, result["runId"])
        self.assertEqual("running", result["status"])
        method, path, headers = self.service.requests[0]
        self.assertEqual(("POST", "/runs"), (method, path))
        self.assertEqual("scheduled__2024-01-01T00:05:00+00:00", headers.get("Idempotency-Key"))
        self.assertEqual("application/json", headers.get("Accept"))

    def test_a_repeated_key_returns_the_finished_run_it_started(self):
        self.service.script("POST", "/runs", Answer(202, run(status="succeeded", published=249)))
        self.assertEqual("succeeded", tasks.trigger_ingest(self.service.url, "manual__1")["status"])

    def test_without_a_key_no_header_is_sent(self):
        self.service.script("POST", "/runs", Answer(202, run()))
        tasks.trigger_ingest(self.service.url, None)
        self.assertNotIn("Idempotency-Key", self.service.requests[0][2])

    def test_409_raises_ingest_busy_naming_the_active_run(self):
        self.service.script("POST", "/runs", problem(409, "A run is already active",
                                                     "Run 20240101T000000Z-old is still running; try again when it has finished.",
                                                     activeRunId="20240101T000000Z-old"))
        with self.assertRaises(tasks.IngestBusy) as caught:
            tasks.trigger_ingest(self.service.url, "scheduled__x")
        self.assertEqual("20240101T000000Z-old", caught.exception.active_run_id)
        self.assertIn("20240101T000000Z-old", str(caught.exception))
        self.assertIn("409", str(caught.exception))

    def test_500_raises_service_unavailable_with_the_cause(self):
        self.service.script("POST", "/runs", problem(500, "An error occurred while processing your request.",
                                                     "ledger: connection to PostgreSQL refused"))
        with self.assertRaises(tasks.ServiceUnavailable) as caught:
            tasks.trigger_ingest(self.service.url, "k")
        message = str(caught.exception)
        self.assertEqual(500, caught.exception.status)
        self.assertIn("POST {}/runs answered 500".format(self.service.url), message)
        self.assertIn("ledger: connection to PostgreSQL refused", message)

    def test_503_with_a_text_body_keeps_the_text(self):
        self.service.script("POST", "/runs", Answer(503, "upstream overloaded\n"))
        with self.assertRaises(tasks.ServiceUnavailable) as caught:
            tasks.trigger_ingest(self.service.url, "k")
        self.assertIn("503", str(caught.exception))
        self.assertIn("upstream overloaded", str(caught.exception))

    def test_500_then_202_is_what_an_airflow_retry_sees(self):
        self.service.script("POST", "/runs", problem(500, "boom", "transient"), Answer(202, run()))
        with self.assertRaises(tasks.ServiceUnavailable):
            tasks.trigger_ingest(self.service.url, "k")
        self.assertEqual(RUN_ID, tasks.trigger_ingest(self.service.url, "k")["runId"])

    def test_connection_refused_raises_service_unavailable_with_the_cause(self):
        url = closed_port_url()
        with self.assertRaises(tasks.ServiceUnavailable) as caught:
            tasks.trigger_ingest(url, "k")
        message = str(caught.exception)
        self.assertIn("POST {}/runs: cannot connect".format(url), message)
        self.assertIn("refused", message.lower())

    def test_no_answer_within_the_timeout(self):
        self.service.script("POST", "/runs", Answer(202, run(), delay=2.0))
        started = time.monotonic()
        with self.assertRaises(tasks.ServiceUnavailable) as caught:
            tasks.trigger_ingest(self.service.url, "k", timeout=0.3)
        self.assertLess(time.monotonic() - started, 1.5)
        self.assertIn("no answer within 0.3s", str(caught.exception))

    def test_400_raises_unexpected_response_with_the_problem(self):
        self.service.script("POST", "/runs", problem(400, "Invalid Idempotency-Key",
                                                     "The Idempotency-Key header must be 1 to 200 printable characters."))
        with self.assertRaises(tasks.UnexpectedResponse) as caught:
            tasks.trigger_ingest(self.service.url, "x" * 300)
        self.assertIn("Invalid Idempotency-Key", str(caught.exception))

    def test_202_without_json_raises_unexpected_response(self):
        self.service.script("POST", "/runs", Answer(202, "<html>proxy page</html>", "text/html"))
        with self.assertRaises(tasks.UnexpectedResponse) as caught:
            tasks.trigger_ingest(self.service.url, "k")
        self.assertIn("not JSON", str(caught.exception))

    def test_202_without_a_run_id_raises_unexpected_response(self):
        self.service.script("POST", "/runs", Answer(202, {"status": "running"}))
        with self.assertRaises(tasks.UnexpectedResponse):
            tasks.trigger_ingest(self.service.url, "k")


class WaitForIngestTest(HttpTestCase):
    def test_polls_until_succeeded(self):
        self.service.script("GET", RUN_PATH, Answer(200, run()), Answer(200, run()),
                            Answer(200, run(status="succeeded", published=249)))
        result = tasks.wait_for_ingest(self.service.url, RUN_ID, timeout_seconds=10, poll_interval_seconds=0.05)
        self.assertEqual("succeeded", result["status"])
        self.assertEqual(249, result["published"])
        self.assertEqual(3, self.service.count("GET", RUN_PATH))

    def test_a_failed_run_raises_with_the_runs_error(self):
        self.service.script("GET", RUN_PATH, Answer(200, run()), Answer(200, run(
            status="failed", error="CoinGecko /coins/markets answered 429 after 6 retries")))
        with self.assertRaises(tasks.IngestRunFailed) as caught:
            tasks.wait_for_ingest(self.service.url, RUN_ID, timeout_seconds=10, poll_interval_seconds=0.05)
        error = caught.exception
        self.assertEqual(RUN_ID, error.run_id)
        self.assertEqual("CoinGecko /coins/markets answered 429 after 6 retries", error.error)
        self.assertIn("Ingest run {} failed: CoinGecko /coins/markets answered 429".format(RUN_ID), str(error))

    def test_a_failed_run_without_an_error_says_so(self):
        self.service.script("GET", RUN_PATH, Answer(200, run(status="failed")))
        with self.assertRaises(tasks.IngestRunFailed) as caught:
            tasks.wait_for_ingest(self.service.url, RUN_ID, timeout_seconds=10, poll_interval_seconds=0.05)
        self.assertIn("no error recorded", str(caught.exception))

    def test_a_run_that_never_finishes_times_out(self):
        self.service.script("GET", RUN_PATH, Answer(200, run()))
        started = time.monotonic()
        with self.assertRaises(tasks.IngestTimeout) as caught:
            tasks.wait_for_ingest(self.service.url, RUN_ID, timeout_seconds=0.5, poll_interval_seconds=0.1)
        elapsed = time.monotonic() - started
        self.assertGreaterEqual(elapsed, 0.45)
        self.assertLess(elapsed, 2.0)
        self.assertEqual(RUN_ID, caught.exception.run_id)
        self.assertIn("did not finish within 0.5s", str(caught.exception))
        self.assertIn("running", str(caught.exception))
        self.assertGreaterEqual(self.service.count("GET", RUN_PATH), 3)

    def test_a_slow_answer_counts_against_the_timeout(self):
        self.service.script("GET", RUN_PATH, Answer(200, run(), delay=3.0))
        started = time.monotonic()
        with self.assertRaises((tasks.IngestTimeout, tasks.ServiceUnavailable)):
            tasks.wait_for_ingest(self.service.url, RUN_ID, timeout_seconds=0.5, poll_interval_seconds=0.1)
        self.assertLess(time.monotonic() - started, 2.5)

    def test_an_unknown_run_raises_run_not_found(self):
        with self.assertRaises(tasks.RunNotFound) as caught:
            tasks.wait_for_ingest(self.service.url, "nope", timeout_seconds=5, poll_interval_seconds=0.05)
        self.assertIn("no run 'nope'", str(caught.exception))

    def test_transient_errors_while_polling_are_tolerated(self):
        self.service.script("GET", RUN_PATH, problem(503, "Service Unavailable", "restarting"), Answer(200, run()),
                            Answer(502, "bad gateway"), Answer(200, run(status="succeeded")))
        result = tasks.wait_for_ingest(self.service.url, RUN_ID, timeout_seconds=10, poll_interval_seconds=0.05)
        self.assertEqual("succeeded", result["status"])

    def test_ingest_down_for_several_polls_raises_with_the_cause(self):
        with self.assertRaises(tasks.ServiceUnavailable) as caught:
            tasks.wait_for_ingest(closed_port_url(), RUN_ID, timeout_seconds=30, poll_interval_seconds=0.05,
                                  max_consecutive_errors=3)
        message = str(caught.exception)
        self.assertIn("3 polls in a row failed", message)
        self.assertIn("cannot connect", message)

    def test_the_run_id_is_escaped_in_the_path(self):
        self.service.script("GET", "/runs/a%2Fb", Answer(200, run(run_id="a/b", status="succeeded")))
        self.assertEqual("a/b", tasks.wait_for_ingest(self.service.url, "a/b", 5, 0.05)["runId"])


class CheckFreshnessTest(HttpTestCase):
    PATH = "/api/pipeline/freshness"

    def test_fresh_data_returns_the_document(self):
        self.service.script("GET", self.PATH, Answer(200, freshness(ticks_age=12.5, candles_age=40.0)))
        result = tasks.check_freshness(self.service.url, sla_seconds=900)
        self.assertEqual(12.5, result["stages"]["ticks"]["ageSeconds"])
        self.assertEqual({"ticks": 12.5, "candles": 40.0, "latest": 12.5, "alerts": None}, tasks.stage_ages(result))

    def test_alerts_without_data_do_not_matter_by_default(self):
        self.service.script("GET", self.PATH, Answer(200, freshness(alerts_age=None)))
        tasks.check_freshness(self.service.url, sla_seconds=900)

    def test_stale_stages_are_named_with_their_ages(self):
        self.service.script("GET", self.PATH, Answer(200, freshness(ticks_age=1234.4, candles_age=40.0)))
        with self.assertRaises(tasks.StaleData) as caught:
            tasks.check_freshness(self.service.url, sla_seconds=900)
        error = caught.exception
        self.assertEqual({"ticks": 1234.4}, error.stale)
        self.assertIn("SLA 900s", str(error))
        self.assertIn("ticks is 1234s old", str(error))
        self.assertNotIn("candles", str(error))
        self.assertIn("consumer lag load=3, transform=0", str(error))

    def test_an_event_time_in_the_future_is_not_fresh(self):
        # A record dated 9999 must not satisfy the check for ever; a few seconds of clock skew must.
        self.service.script("GET", self.PATH, Answer(200, freshness(ticks_age=-252_000_000_000.0, candles_age=-2.0)))
        with self.assertRaises(tasks.StaleData) as caught:
            tasks.check_freshness(self.service.url, sla_seconds=900)
        self.assertEqual({"ticks": -252_000_000_000.0}, caught.exception.stale)
        self.assertIn("ticks has its newest event 252000000000s in the future", str(caught.exception))

    def test_a_stage_without_data_counts_as_stale(self):
        self.service.script("GET", self.PATH, Answer(200, freshness(ticks_age=None, candles_age=None)))
        with self.assertRaises(tasks.StaleData) as caught:
            tasks.check_freshness(self.service.url, sla_seconds=900)
        self.assertEqual({"ticks": None, "candles": None}, caught.exception.stale)
        self.assertIn("ticks has no data yet", str(caught.exception))

    def test_a_stage_missing_from_the_answer_counts_as_stale(self):
        document = freshness()
        del document["stages"]["candles"]
        self.service.script("GET", self.PATH, Answer(200, document))
        with self.assertRaises(tasks.StaleData) as caught:
            tasks.check_freshness(self.service.url, sla_seconds=900)
        self.assertIn("candles is not reported", str(caught.exception))

    def test_the_stages_checked_are_configurable(self):
        self.service.script("GET", self.PATH, Answer(200, freshness(latest_age=5000.0)))
        tasks.check_freshness(self.service.url, sla_seconds=900, stages=("ticks",))
        with self.assertRaises(tasks.StaleData):
            tasks.check_freshness(self.service.url, sla_seconds=900, stages=("ticks", "latest"))
        with self.assertRaises(ValueError):
            tasks.check_freshness(self.service.url, sla_seconds=900, stages=("prices",))

    def test_processor_errors_carry_the_cause(self):
        self.service.script("GET", self.PATH, problem(500, "Internal Server Error", "LiteDB file is locked"))
        with self.assertRaises(tasks.ServiceUnavailable) as caught:
            tasks.check_freshness(self.service.url, sla_seconds=900)
        self.assertIn("LiteDB file is locked", str(caught.exception))
        with self.assertRaises(tasks.ServiceUnavailable):
            tasks.check_freshness(closed_port_url(), sla_seconds=900)

    def test_a_body_without_stages_is_unexpected(self):
        self.service.script("GET", self.PATH, Answer(200, {"checkedAt": "x"}))
        with self.assertRaises(tasks.UnexpectedResponse):
            tasks.check_freshness(self.service.url, sla_seconds=900)


class ServiceUrlTest(unittest.TestCase):
    def test_the_environment_variable_comes_first(self):
        url = tasks.service_url("ingest", "cryptoetl_ingest", resolver=lambda conn: "http://from-connection:1",
                                environ={"CRYPTOETL_INGEST_URL": "http://ingest:8080/"})
        self.assertEqual("http://ingest:8080", url)

    def test_aspire_service_discovery_variables(self):
        environ = {"services__processor__http__0": "http://localhost:5100"}
        self.assertEqual("http://localhost:5100", tasks.service_url("processor", environ=environ))
        environ["services__processor__https__0"] = "https://localhost:7100"
        self.assertEqual("https://localhost:7100", tasks.service_url("processor", environ=environ))

    def test_then_the_airflow_connection(self):
        seen = []

        def resolver(conn_id):
            seen.append(conn_id)
            return "http://ingest.internal:8080"
        self.assertEqual("http://ingest.internal:8080",
                         tasks.service_url("ingest", "cryptoetl_ingest", resolver=resolver, environ={}))
        self.assertEqual(["cryptoetl_ingest"], seen)

    def test_nothing_configured_names_both_ways(self):
        with self.assertRaises(tasks.ServiceUrlError) as caught:
            tasks.service_url("ingest", "cryptoetl_ingest", resolver=lambda conn: None, environ={})
        self.assertIn("CRYPTOETL_INGEST_URL", str(caught.exception))
        self.assertIn("cryptoetl_ingest", str(caught.exception))

    def test_a_value_that_is_not_an_http_url_is_rejected_naming_its_source(self):
        with self.assertRaises(tasks.ServiceUrlError) as caught:
            tasks.service_url("ingest", environ={"CRYPTOETL_INGEST_URL": "ingest:8080"})
        self.assertIn("CRYPTOETL_INGEST_URL", str(caught.exception))

    def test_connection_url(self):
        self.assertEqual("http://ingest:8080", tasks.connection_url("ingest", 8080, None, "http"))
        self.assertEqual("https://ingest:8443", tasks.connection_url("ingest", 8443, "https", "http"))
        self.assertEqual("http://ingest", tasks.connection_url("ingest", None, "cryptoetl", "generic"))
        self.assertEqual("http://ingest:1/base", tasks.connection_url("http://ingest:1/base/", 9, None, None))
        self.assertIsNone(tasks.connection_url("", 1, None, None))


if __name__ == "__main__":
    unittest.main()

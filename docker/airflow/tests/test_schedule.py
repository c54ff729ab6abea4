"""The schedule file: the real one loads, overrides apply, and every malformed file names its field.

Run: cd docker/airflow && /usr/bin/python3 -m unittest discover -s tests -v
"""

import copy
import json
import os
import shutil
import tempfile
import unittest

import jsonschema
from fakes import SCHEDULE_FILE

import crypto_etl_tasks as tasks

CASES_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "schedule_cases.json")


class ScheduleSchemaTest(unittest.TestCase):
    """The schedule's JSON Schema is a valid draft-07 schema that the real file and every accepted case follow."""

    def test_the_schema_is_valid_and_the_real_file_follows_it(self):
        jsonschema.Draft7Validator.check_schema(tasks.SCHEDULE_SCHEMA)
        with open(SCHEDULE_FILE, encoding="utf-8") as handle:
            jsonschema.validate(json.load(handle), tasks.SCHEDULE_SCHEMA)

    def test_every_accepted_case_follows_the_schema(self):
        with open(CASES_FILE, encoding="utf-8") as handle:
            cases = [c for c in json.load(handle)["cases"] if "expect" in c]
        self.assertGreater(len(cases), 5)
        for case in cases:
            with self.subTest(case["name"]):
                jsonschema.validate(case["document"], tasks.SCHEDULE_SCHEMA)


class ScheduleFileTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="cryptoetl-schedule-")
        with open(SCHEDULE_FILE, encoding="utf-8") as handle:
            self.real = json.load(handle)

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def write(self, content, name="schedule.json"):
        path = os.path.join(self.dir, name)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(content if isinstance(content, str) else json.dumps(content))
        return path

    def patched(self, **changes):
        document = copy.deepcopy(self.real)
        for key, value in changes.items():
            if value is KeyError:
                document.pop(key, None)
            else:
                document[key] = value
        return self.write(document)

    def assert_rejected(self, path, field, *fragments, environment=None):
        with self.assertRaises(tasks.ScheduleError) as caught:
            tasks.load_schedule(path, environment)
        message = str(caught.exception)
        self.assertEqual(field, caught.exception.field, message)
        self.assertTrue(message.startswith("schedule file {}: ".format(path)), message)
        if field:
            self.assertIn("field '{}': ".format(field), message)
        for fragment in fragments:
            self.assertIn(fragment, message)
        return message

    # --- the real file -----------------------------------------------------------------------------------------

    def test_real_file_loads_with_the_documented_defaults(self):
        schedule = tasks.load_schedule(SCHEDULE_FILE)
        self.assertEqual("crypto_etl", schedule["dag_id"])
        self.assertEqual("*/5 * * * *", schedule["cron"])
        self.assertEqual("UTC", schedule["timezone"])
        self.assertIs(False, schedule["catchup"])
        self.assertEqual(1, schedule["max_active_runs"])
        self.assertGreaterEqual(schedule["retries"], 1)
        self.assertIs(True, schedule["retry_exponential_backoff"])
        self.assertEqual(["ticks", "candles"], schedule["freshness_stages"])
        self.assertIsNone(schedule["environment"])
        self.assertEqual(["dev", "production"], schedule["environments"])
        self.assertEqual(SCHEDULE_FILE, schedule["schedule_file"])
        # The wait must outlast the Ingest's own run timeout (Ingest__RunTimeout, 10 minutes by default), so a run
        # that Ingest times out is reported with Ingest's own error rather than as an IngestTimeout here.
        self.assertGreater(schedule["ingest_timeout_seconds"], 600)

    def test_every_environment_of_the_real_file_loads(self):
        base = tasks.load_schedule(SCHEDULE_FILE)
        for environment in base["environments"]:
            schedule = tasks.load_schedule(SCHEDULE_FILE, environment)
            self.assertEqual(environment, schedule["environment"])
            self.assertEqual(base["dag_id"], schedule["dag_id"])

    def test_environment_overrides_apply_and_the_rest_is_inherited(self):
        dev = tasks.load_schedule(SCHEDULE_FILE, "dev")
        self.assertEqual("* * * * *", dev["cron"])
        self.assertEqual(300, dev["freshness_sla_seconds"])
        base = tasks.load_schedule(SCHEDULE_FILE)
        self.assertEqual(base["max_active_runs"], dev["max_active_runs"])
        self.assertEqual(base["catchup"], dev["catchup"])
        production = tasks.load_schedule(SCHEDULE_FILE, "production")
        self.assertEqual(base["cron"], production["cron"])

    def test_no_environment_and_empty_environment_mean_no_override(self):
        self.assertEqual(tasks.load_schedule(SCHEDULE_FILE)["cron"], tasks.load_schedule(SCHEDULE_FILE, "")["cron"])

    def test_retry_delays_follow_exponential_backoff_up_to_the_cap(self):
        schedule = tasks.load_schedule(self.patched(retries=6, retry_delay_seconds=30, max_retry_delay_seconds=600))
        self.assertEqual([30, 60, 120, 240, 480, 600], tasks.retry_delays(schedule))
        flat = tasks.load_schedule(self.patched(retries=2, retry_exponential_backoff=False))
        self.assertEqual([30, 30], tasks.retry_delays(flat))

    def test_a_byte_order_mark_is_accepted(self):
        path = os.path.join(self.dir, "bom.json")
        with open(path, "wb") as handle:
            handle.write(b"\xef\xbb\xbf" + json.dumps(self.real).encode())
        self.assertEqual("crypto_etl", tasks.load_schedule(path)["dag_id"])

    # --- malformed files (the cases the issue names) -----------------------------------------------------------

    def test_bad_cron_names_the_field_and_the_cron_field(self):
        message = self.assert_rejected(self.patched(cron="*/5 * * *"), "cron", "got 4")
        self.assertIn("5-field cron", message)
        self.assert_rejected(self.patched(cron="*/5 25 * * *"), "cron", "hour field '25'", "outside 0-23")

    def test_missing_cron(self):
        self.assert_rejected(self.patched(cron=KeyError), "cron", "is required")

    def test_catchup_must_be_a_boolean(self):
        self.assert_rejected(self.patched(catchup="false"), "catchup", "true or false", 'string "false"')
        self.assert_rejected(self.patched(catchup=1), "catchup", "true or false")

    def test_negative_retries(self):
        self.assert_rejected(self.patched(retries=-1), "retries", "between 0 and 20", "got -1")

    def test_unknown_environment_is_an_error_listing_the_known_ones(self):
        self.assert_rejected(SCHEDULE_FILE, "environments", "no environment 'staging'", "CRYPTOETL_ENVIRONMENT",
                             "dev, production", environment="staging")

    def test_non_json_file(self):
        path = self.write("cron: '*/5 * * * *'\n")
        message = self.assert_rejected(path, None, "not valid JSON", "line 1 column 1")
        self.assertNotIn("field", message)

    def test_missing_file(self):
        path = os.path.join(self.dir, "absent.json")
        self.assert_rejected(path, None, "cannot read the file", "No such file")

    def test_non_utf8_file(self):
        path = os.path.join(self.dir, "latin1.json")
        with open(path, "wb") as handle:
            handle.write(b'{"description": "caf\xe9"}')
        self.assert_rejected(path, None, "not valid JSON", "not UTF-8")

    def test_delays_and_sla_must_be_positive(self):
        for field in ("retry_delay_seconds", "ingest_timeout_seconds", "poll_interval_seconds",
                      "freshness_sla_seconds", "max_retry_delay_seconds"):
            with self.subTest(field=field):
                self.assert_rejected(self.patched(**{field: 0}), field, "between 1 and 604800")

    def test_max_active_runs_must_be_at_least_one(self):
        self.assert_rejected(self.patched(max_active_runs=0), "max_active_runs", "between 1 and 1000")

    def test_a_bad_override_in_an_environment_not_selected_still_stops_loading(self):
        document = copy.deepcopy(self.real)
        document["environments"]["dev"]["catchup"] = "yes"
        self.assert_rejected(self.write(document), "environments.dev.catchup", "true or false")

    # --- the shared test vectors (the .NET scheduler runs the same file) ---------------------------------------

    def test_shared_cases(self):
        with open(CASES_FILE, encoding="utf-8") as handle:
            cases = json.load(handle)["cases"]
        self.assertGreater(len(cases), 40)
        for number, case in enumerate(cases):
            with self.subTest(case=case["name"]):
                path = self.write(case["text"] if "text" in case else json.dumps(case["document"]),
                                  "case{}.json".format(number))
                environment = case.get("environment")
                if "expect" in case:
                    schedule = tasks.load_schedule(path, environment)
                    for key, value in case["expect"].items():
                        self.assertEqual(value, schedule[key], key)
                    continue
                with self.assertRaises(tasks.ScheduleError) as caught:
                    tasks.load_schedule(path, environment)
                error = caught.exception
                self.assertEqual(case["field"], error.field, str(error))
                prefix = "schedule file {}: ".format(path)
                self.assertTrue(str(error).startswith(prefix), str(error))
                rest = str(error)[len(prefix):]
                if "error" in case:
                    self.assertEqual(case["error"], rest)
                else:
                    self.assertTrue(rest.startswith(case["error_starts_with"]), rest)


class CronTest(unittest.TestCase):
    def test_accepted(self):
        for expression in ("*/5 * * * *", "* * * * *", "0 0 1 1 0", "59 23 31 12 7", "0,15,30,45 * * * *",
                           "0 9-17 * * MON-FRI", "0 0 * jan,Jul sun", "10-50/10 */2 1-15/7 * *", "  0  0 * * *  "):
            with self.subTest(expression=expression):
                self.assertIsNone(tasks.cron_problem(expression))

    def test_rejected(self):
        for expression, fragment in (("", "got 0"), ("* * * * * *", "got 6"), ("@daily", "got 1"),
                                     ("-1 * * * *", "is not '*'"), ("* * * 13 *", "outside 1-12"),
                                     ("* * * * SUNDAY", "SUNDAY"), ("*/60 * * * *", "step 60"),
                                     ("0 0 ? * *", "is not '*'"), ("0 0 * * 1#2", "is not '*'"),
                                     ("30-10 * * * *", "backwards"), ("1, * * * *", "empty list item")):
            with self.subTest(expression=expression):
                problem = tasks.cron_problem(expression)
                self.assertIsNotNone(problem)
                self.assertIn(fragment, problem)


if __name__ == "__main__":
    unittest.main()

"""The DAG file compiles, and, loaded with minimal stand-ins for the few Airflow names it uses, is wired from the
schedule file and runs its three tasks against a fake Ingest and Processor.

Airflow itself is not installed here; in an Airflow image, `airflow dags test crypto_etl` exercises the real thing.
Run: cd docker/airflow && /usr/bin/python3 -m unittest discover -s tests -v
"""

import glob
import importlib.util
import json
import os
import py_compile
import shutil
import sys
import tempfile
import types
import unittest
from datetime import datetime, timedelta, timezone
from unittest import mock

from fakes import DAGS, SCHEDULE_FILE, Answer, FakeService, freshness, run

import crypto_etl_tasks as tasks

DAG_FILE = os.path.join(DAGS, "crypto_etl.py")
HERE = os.path.dirname(os.path.abspath(__file__))


class _Dag:
    current = None

    def __init__(self, **kwargs):
        self.kwargs = kwargs
        self.tasks = {}

    def __enter__(self):
        _Dag.current = self
        return self

    def __exit__(self, *exc):
        _Dag.current = None
        return False


class _PythonOperator:
    def __init__(self, task_id, python_callable, **kwargs):
        self.task_id = task_id
        self.python_callable = python_callable
        self.kwargs = kwargs
        self.downstream = []
        _Dag.current.tasks[task_id] = self

    def __rshift__(self, other):
        self.downstream.append(other.task_id)
        return other


class _AirflowFailException(Exception):
    pass


class _AirflowNotFoundException(Exception):
    pass


class _BaseHook:
    connections = {}

    @classmethod
    def get_connection(cls, conn_id):
        if conn_id not in cls.connections:
            raise _AirflowNotFoundException("The conn_id `{}` isn't defined".format(conn_id))
        return cls.connections[conn_id]


def _airflow_stand_ins():
    def module(name, **attributes):
        mod = types.ModuleType(name)
        mod.__dict__.update(attributes)
        return mod

    def pendulum_datetime(year, month, day, tz="UTC"):
        return datetime(year, month, day, tzinfo=timezone.utc if tz == "UTC" else None)

    return {
        "airflow": module("airflow", DAG=_Dag),
        "airflow.exceptions": module("airflow.exceptions", AirflowFailException=_AirflowFailException,
                                     AirflowNotFoundException=_AirflowNotFoundException),
        "airflow.hooks": module("airflow.hooks"),
        "airflow.hooks.base": module("airflow.hooks.base", BaseHook=_BaseHook),
        "airflow.operators": module("airflow.operators"),
        "airflow.operators.python": module("airflow.operators.python", PythonOperator=_PythonOperator),
        "pendulum": module("pendulum", datetime=pendulum_datetime),
    }


def load_dag(dag_file=DAG_FILE, environment=None):
    """Imports the DAG file as Airflow's parser would, with the stand-ins; returns the module."""
    variables = {k: v for k, v in os.environ.items() if not k.startswith(("CRYPTOETL_", "services__"))}
    if environment:
        variables["CRYPTOETL_ENVIRONMENT"] = environment
    spec = importlib.util.spec_from_file_location("crypto_etl_dag_under_test", dag_file)
    module = importlib.util.module_from_spec(spec)
    with mock.patch.dict(sys.modules, _airflow_stand_ins()), mock.patch.dict(os.environ, variables, clear=True):
        spec.loader.exec_module(module)
    return module


class _TaskInstance:
    def __init__(self):
        self.xcom = {}

    def xcom_push(self, key, value):
        self.xcom[key] = value

    def xcom_pull(self, task_ids, key):
        return self.xcom.get(key)


class CompileTest(unittest.TestCase):
    def test_every_python_file_compiles(self):
        files = glob.glob(os.path.join(DAGS, "*.py")) + glob.glob(os.path.join(HERE, "*.py"))
        self.assertIn(DAG_FILE, files)
        target = tempfile.mkdtemp(prefix="cryptoetl-pyc-")
        self.addCleanup(shutil.rmtree, target, True)
        for number, path in enumerate(files):
            with self.subTest(file=os.path.basename(path)):
                py_compile.compile(path, cfile=os.path.join(target, "{}.pyc".format(number)), doraise=True)


class DagWiringTest(unittest.TestCase):
    def test_the_dag_is_built_from_the_schedule_file(self):
        schedule = tasks.load_schedule(SCHEDULE_FILE)
        dag = load_dag().dag
        self.assertEqual(schedule["dag_id"], dag.kwargs["dag_id"])
        self.assertEqual(schedule["cron"], dag.kwargs["schedule"])
        self.assertIs(schedule["catchup"], dag.kwargs["catchup"])
        self.assertEqual(schedule["max_active_runs"], dag.kwargs["max_active_runs"])
        args = dag.kwargs["default_args"]
        self.assertEqual(schedule["retries"], args["retries"])
        self.assertEqual(timedelta(seconds=schedule["retry_delay_seconds"]), args["retry_delay"])
        self.assertIs(schedule["retry_exponential_backoff"], args["retry_exponential_backoff"])
        self.assertEqual(timedelta(seconds=schedule["max_retry_delay_seconds"]), args["max_retry_delay"])
        self.assertEqual(["trigger_ingest", "wait_for_ingest", "check_freshness"], list(dag.tasks))
        self.assertEqual(["wait_for_ingest"], dag.tasks["trigger_ingest"].downstream)
        self.assertEqual(["check_freshness"], dag.tasks["wait_for_ingest"].downstream)
        # The wait task may run as long as the Ingest timeout, plus room for the last poll.
        self.assertGreater(dag.tasks["wait_for_ingest"].kwargs["execution_timeout"],
                           timedelta(seconds=schedule["ingest_timeout_seconds"]))

    def test_the_environment_selects_its_overrides(self):
        dag = load_dag(environment="dev").dag
        self.assertEqual(tasks.load_schedule(SCHEDULE_FILE, "dev")["cron"], dag.kwargs["schedule"])

    def test_a_malformed_schedule_file_stops_the_dag_from_loading_naming_the_field(self):
        folder = tempfile.mkdtemp(prefix="cryptoetl-dags-")
        self.addCleanup(shutil.rmtree, folder, True)
        for name in ("crypto_etl.py", "crypto_etl_tasks.py"):
            shutil.copy(os.path.join(DAGS, name), folder)
        with open(SCHEDULE_FILE, encoding="utf-8") as handle:
            document = json.load(handle)
        document["catchup"] = "no"
        with open(os.path.join(folder, "crypto_etl_schedule.json"), "w", encoding="utf-8") as handle:
            json.dump(document, handle)
        with self.assertRaises(tasks.ScheduleError) as caught:
            load_dag(os.path.join(folder, "crypto_etl.py"))
        self.assertIn("field 'catchup': must be true or false", str(caught.exception))
        self.assertIn(folder, str(caught.exception))

    def test_an_unknown_environment_stops_the_dag_from_loading(self):
        with self.assertRaises(tasks.ScheduleError) as caught:
            load_dag(environment="staging")
        self.assertIn("no environment 'staging'", str(caught.exception))


class DagTasksTest(unittest.TestCase):
    """The three callables, as Airflow would call them, against fake services found through connections."""

    def setUp(self):
        self.ingest = FakeService()
        self.processor = FakeService()
        self.addCleanup(self.ingest.close)
        self.addCleanup(self.processor.close)
        self.module = load_dag()
        self.module.SCHEDULE = dict(self.module.SCHEDULE, poll_interval_seconds=0.05, ingest_timeout_seconds=5)
        _BaseHook.connections = {
            "cryptoetl_ingest": types.SimpleNamespace(host="127.0.0.1", port=int(self.ingest.url.rsplit(":", 1)[1]),
                                                      schema=None, conn_type="http"),
            "cryptoetl_processor": types.SimpleNamespace(host=self.processor.url, port=None, schema=None,
                                                         conn_type="http"),
        }
        self.addCleanup(setattr, _BaseHook, "connections", {})
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("CRYPTOETL_", "services__"))}
        patcher = mock.patch.dict(os.environ, clean, clear=True)
        patcher.start()
        self.addCleanup(patcher.stop)
        self.ti = _TaskInstance()
        self.context = {"run_id": "scheduled__2024-01-01T00:05:00+00:00", "ti": self.ti}

    def test_a_whole_dag_run(self):
        self.ingest.script("POST", "/runs", Answer(202, run()))
        self.ingest.script("GET", "/runs/20240101T000000Z-abc", Answer(200, run()),
                           Answer(200, run(status="succeeded", published=249)))
        self.processor.script("GET", "/api/pipeline/freshness", Answer(200, freshness()))

        started = self.module.trigger_ingest(**self.context)
        self.assertEqual("20240101T000000Z-abc", self.ti.xcom["ingest_run_id"])
        self.assertEqual("scheduled__2024-01-01T00:05:00+00:00", self.ingest.requests[0][2]["Idempotency-Key"])
        self.assertEqual("running", started["status"])
        finished = self.module.wait_for_ingest(**self.context)
        self.assertEqual(249, finished["published"])
        summary = self.module.check_freshness(**self.context)
        self.assertEqual(12.5, summary["ageSeconds"]["ticks"])

    def test_a_failed_run_fails_the_task_without_retries(self):
        self.ti.xcom["ingest_run_id"] = "20240101T000000Z-abc"
        self.ingest.script("GET", "/runs/20240101T000000Z-abc", Answer(200, run(status="failed", error="Kafka down")))
        with self.assertRaises(_AirflowFailException) as caught:
            self.module.wait_for_ingest(**self.context)
        self.assertIn("Kafka down", str(caught.exception))

    def test_a_timeout_is_an_ordinary_failure_so_airflow_retries(self):
        self.ti.xcom["ingest_run_id"] = "20240101T000000Z-abc"
        self.module.SCHEDULE["ingest_timeout_seconds"] = 0.3
        self.ingest.script("GET", "/runs/20240101T000000Z-abc", Answer(200, run()))
        with self.assertRaises(tasks.IngestTimeout):
            self.module.wait_for_ingest(**self.context)

    def test_the_environment_variable_wins_over_the_connection(self):
        other = FakeService()
        self.addCleanup(other.close)
        other.script("POST", "/runs", Answer(202, run(run_id="from-env")))
        with mock.patch.dict(os.environ, {"CRYPTOETL_INGEST_URL": other.url}):
            self.module.trigger_ingest(**self.context)
        self.assertEqual("from-env", self.ti.xcom["ingest_run_id"])
        self.assertEqual([], self.ingest.requests)

    def test_no_url_anywhere_names_the_variable_and_the_connection(self):
        _BaseHook.connections = {}
        with self.assertRaises(tasks.ServiceUrlError) as caught:
            self.module.check_freshness(**self.context)
        self.assertIn("CRYPTOETL_PROCESSOR_URL", str(caught.exception))
        self.assertIn("cryptoetl_processor", str(caught.exception))


if __name__ == "__main__":
    unittest.main()

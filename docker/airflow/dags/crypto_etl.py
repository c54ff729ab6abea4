"""The crypto_etl DAG: trigger_ingest >> wait_for_ingest >> check_freshness.

Schedule, retries and SLA come from crypto_etl_schedule.json (the file the embedded .NET scheduler reads too), with
the overrides of the environment named by CRYPTOETL_ENVIRONMENT. The task logic lives in crypto_etl_tasks.py, which
does not import Airflow. Service URLs are resolved when a task runs: env var CRYPTOETL_INGEST_URL /
CRYPTOETL_PROCESSOR_URL (or Aspire's services__<name>__http__0), else the Airflow connections cryptoetl_ingest /
cryptoetl_processor. See ../README.md.
"""

import os
import sys
from datetime import timedelta

import pendulum
from airflow import DAG
from airflow.exceptions import AirflowFailException
from airflow.hooks.base import BaseHook
from airflow.operators.python import PythonOperator

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crypto_etl_tasks as tasks  # noqa: E402  (next to this file; Airflow puts the dags folder on sys.path too)

SCHEDULE_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "crypto_etl_schedule.json")
SCHEDULE = tasks.load_schedule(SCHEDULE_FILE, os.environ.get(tasks.ENVIRONMENT_VARIABLE))

INGEST_CONNECTION = "cryptoetl_ingest"
PROCESSOR_CONNECTION = "cryptoetl_processor"
RUN_ID_XCOM_KEY = "ingest_run_id"


def _connection_url(conn_id):
    """An Airflow connection as a base URL, or None when the connection does not exist."""
    try:
        connection = BaseHook.get_connection(conn_id)
    except Exception:  # AirflowNotFoundException when it is not defined: fall through to the error naming both
        return None
    return tasks.connection_url(connection.host, connection.port, connection.schema, connection.conn_type)


def _url(name, conn_id):
    return tasks.service_url(name, airflow_conn_id=conn_id, resolver=_connection_url)


def trigger_ingest(**context):
    """Start one Ingest run keyed by this DAG run's id (a retry or a re-run of the same DAG run gets the same
    Ingest run back instead of starting another), and hand its id to wait_for_ingest."""
    run = tasks.trigger_ingest(_url("ingest", INGEST_CONNECTION), context["run_id"])
    context["ti"].xcom_push(key=RUN_ID_XCOM_KEY, value=run["runId"])
    return run


def wait_for_ingest(**context):
    run_id = context["ti"].xcom_pull(task_ids="trigger_ingest", key=RUN_ID_XCOM_KEY)
    if not run_id:
        raise AirflowFailException("trigger_ingest pushed no Ingest run id (XCom key {!r})".format(RUN_ID_XCOM_KEY))
    try:
        return tasks.wait_for_ingest(_url("ingest", INGEST_CONNECTION), run_id,
                                     SCHEDULE["ingest_timeout_seconds"], SCHEDULE["poll_interval_seconds"])
    except (tasks.IngestRunFailed, tasks.RunNotFound) as error:
        # The run has ended (or never existed): retrying the wait cannot change that. Fail now, without retries.
        raise AirflowFailException(str(error)) from error


def check_freshness(**context):
    freshness = tasks.check_freshness(_url("processor", PROCESSOR_CONNECTION), SCHEDULE["freshness_sla_seconds"],
                                      SCHEDULE["freshness_stages"])
    return {"checkedAt": freshness.get("checkedAt"), "ageSeconds": tasks.stage_ages(freshness),
            "consumerLag": freshness.get("consumerLag")}


_REQUEST_BUDGET = timedelta(minutes=2)
_WAIT_BUDGET = timedelta(seconds=SCHEDULE["ingest_timeout_seconds"] + SCHEDULE["poll_interval_seconds"] + 60)

default_args = {
    "owner": "cryptoetl",
    "depends_on_past": False,
    "retries": SCHEDULE["retries"],
    "retry_delay": timedelta(seconds=SCHEDULE["retry_delay_seconds"]),
    "retry_exponential_backoff": SCHEDULE["retry_exponential_backoff"],
    "max_retry_delay": timedelta(seconds=SCHEDULE["max_retry_delay_seconds"]),
    "execution_timeout": _REQUEST_BUDGET,
}

with DAG(
    dag_id=SCHEDULE["dag_id"],
    description=SCHEDULE["description"] or None,
    schedule=SCHEDULE["cron"],
    start_date=pendulum.datetime(2024, 1, 1, tz=SCHEDULE["timezone"]),
    catchup=SCHEDULE["catchup"],
    max_active_runs=SCHEDULE["max_active_runs"],
    default_args=default_args,
    tags=["cryptoetl"],
    doc_md=__doc__,
) as dag:
    trigger = PythonOperator(task_id="trigger_ingest", python_callable=trigger_ingest)
    wait = PythonOperator(task_id="wait_for_ingest", python_callable=wait_for_ingest, execution_timeout=_WAIT_BUDGET)
    fresh = PythonOperator(task_id="check_freshness", python_callable=check_freshness)

    trigger >> wait >> fresh

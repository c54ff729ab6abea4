"""Task logic of the crypto_etl DAG, free of Airflow so it can be tested (and run) anywhere.

The standard library (Python 3.8+) and jsonschema (a dependency of Airflow itself; Debian's python3-jsonschema). The DAG
file (crypto_etl.py) wraps these functions in Airflow tasks; the embedded .NET scheduler reads the same schedule file
against the same JSON Schema (crypto_etl_schedule.schema.json) with the same rules (see ../README.md).

Public API:
    load_schedule(path, environment=None) -> dict       validated schedule, ScheduleError naming the field
    service_url(name, airflow_conn_id=None, resolver=None) -> str
    trigger_ingest(ingest_url, idempotency_key, timeout=30) -> run dict
    wait_for_ingest(ingest_url, run_id, timeout_seconds, poll_interval_seconds) -> final run dict
    check_freshness(processor_url, sla_seconds, stages=("ticks", "candles")) -> freshness dict
"""

import http.client
import json
import logging
import os
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request

import jsonschema

try:  # Python 3.9+; on 3.8 time zone names are only checked for shape.
    import zoneinfo as _zoneinfo
except ImportError:  # pragma: no cover
    _zoneinfo = None

log = logging.getLogger("cryptoetl.airflow")

USER_AGENT = "cryptoetl-airflow/1.0"
DEFAULT_REQUEST_TIMEOUT = 30.0
STAGES = ("ticks", "candles", "latest", "alerts")
DEFAULT_FRESHNESS_STAGES = ("ticks", "candles")
ENVIRONMENT_VARIABLE = "CRYPTOETL_ENVIRONMENT"


# --------------------------------------------------------------------------------------------------------------------
# Errors. Every message is meant to be read on its own in an Airflow task log.
# --------------------------------------------------------------------------------------------------------------------

class CryptoEtlError(Exception):
    """Base of every error raised here."""


class ScheduleError(CryptoEtlError, ValueError):
    """The schedule file is missing, not JSON, or breaks a rule. `field` names the offending field (dotted path)."""

    def __init__(self, path, problem, field=None):
        self.path = str(path)
        self.field = field
        self.problem = problem
        where = "schedule file {}: ".format(self.path)
        super().__init__(where + ("field '{}': {}".format(field, problem) if field else problem))


class ServiceUrlError(CryptoEtlError, ValueError):
    """No URL configured for a service, or the configured one is not an http(s) URL."""


class ServiceUnavailable(CryptoEtlError):
    """The service could not be reached, timed out, or answered 5xx. Transient: the task should retry."""

    def __init__(self, message, url=None, status=None):
        super().__init__(message)
        self.url = url
        self.status = status


class UnexpectedResponse(CryptoEtlError):
    """The service answered something this client does not understand (a 4xx, or a body of the wrong shape)."""

    def __init__(self, message, url=None, status=None):
        super().__init__(message)
        self.url = url
        self.status = status


class RunNotFound(UnexpectedResponse):
    """GET /runs/{id} answered 404."""


class IngestBusy(CryptoEtlError):
    """POST /runs answered 409: another run is active. Transient: the task should retry."""

    def __init__(self, message, active_run_id=None):
        super().__init__(message)
        self.active_run_id = active_run_id


class IngestRunFailed(CryptoEtlError):
    """The Ingest run finished with status 'failed'. `run` is the run as the API returned it."""

    def __init__(self, message, run):
        super().__init__(message)
        self.run = run
        self.run_id = run.get("runId")
        self.error = run.get("error")


class IngestTimeout(CryptoEtlError):
    """The Ingest run did not finish within the allowed time."""

    def __init__(self, message, run_id, timeout_seconds, last_run=None):
        super().__init__(message)
        self.run_id = run_id
        self.timeout_seconds = timeout_seconds
        self.last_run = last_run


class StaleData(CryptoEtlError):
    """Some stages' newest data is older than the SLA, or missing. `stale` maps stage -> age in seconds or None."""

    def __init__(self, message, stale, sla_seconds, freshness):
        super().__init__(message)
        self.stale = stale
        self.sla_seconds = sla_seconds
        self.freshness = freshness


# --------------------------------------------------------------------------------------------------------------------
# The schedule file
# --------------------------------------------------------------------------------------------------------------------

# The schedule file's JSON Schema, next to this module: the fields (in the order they are checked), which are required,
# each field's rules and the message for each rule. What a schema cannot say is below: duplicate names, cron syntax,
# whether a time zone exists, integers written with a fraction, the cross-field rules and the environments.
SCHEDULE_SCHEMA_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "crypto_etl_schedule.schema.json")
with open(SCHEDULE_SCHEMA_FILE, encoding="utf-8") as _schema_file:
    SCHEDULE_SCHEMA = json.load(_schema_file)
_PROPERTIES = SCHEDULE_SCHEMA["properties"]
_FIELD_NAMES = tuple(_PROPERTIES)
_REQUIRED = frozenset(SCHEDULE_SCHEMA["required"])
_FIELD_VALIDATORS = {name: jsonschema.Draft7Validator(field) for name, field in _PROPERTIES.items()}
_NOT_OVERRIDABLE = ("dag_id", "environments")
_DEFAULTS = {"description": "", "freshness_stages": list(DEFAULT_FRESHNESS_STAGES), "environments": {}}

_ENVIRONMENT_NAME = re.compile(_PROPERTIES["environments"]["propertyNames"]["pattern"])
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class _JsonObject(dict):
    """A JSON object that remembers which keys appeared more than once (json keeps the last value)."""

    duplicates = ()


def _object_pairs(pairs):
    obj = _JsonObject()
    duplicates = []
    for key, value in pairs:
        if key in obj and key not in duplicates:
            duplicates.append(key)
        obj[key] = value
    obj.duplicates = tuple(duplicates)
    return obj


def _no_constant(name):
    raise ValueError("{} is not valid JSON".format(name))


def _json_type(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _shown(value):
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= 60 else text[:57] + "..."


def _seconds(value):
    """A duration for messages: 0.5, 30, 1.25 (no float noise)."""
    return "{:g}".format(round(value, 2))


def _got(value):
    return "got null" if value is None else "got {} {}".format(_json_type(value), _shown(value))


# Cron: exactly the standard 5 fields; each a comma-separated list of '*', '*/S', 'N', 'N-M', 'N-M/S'.
_CRON_FIELDS = (
    ("minute", 0, 59, None),
    ("hour", 0, 23, None),
    ("day-of-month", 1, 31, None),
    ("month", 1, 12, ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")),
    ("day-of-week", 0, 7, ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")),
)
_CRON_ITEM = re.compile(r"^(?:(\*)|([A-Za-z0-9]+)(?:-([A-Za-z0-9]+))?)(?:/([0-9]+))?$")


def cron_problem(expression):
    """None if `expression` is a standard 5-field cron expression, else what is wrong with it."""
    parts = expression.split()
    if len(parts) != 5:
        return "expected 5 fields (minute hour day-of-month month day-of-week) separated by spaces, got {}".format(
            len(parts))
    for text, (name, low, high, names) in zip(parts, _CRON_FIELDS):
        for item in text.split(","):
            problem = _cron_item_problem(item, low, high, names)
            if problem:
                return "{} field '{}': {}".format(name, text, problem)
    return None


def _cron_item_problem(item, low, high, names):
    if item == "":
        return "empty list item"
    match = _CRON_ITEM.match(item)
    if not match:
        return "'{}' is not '*', 'N', 'N-M' or one of those followed by '/STEP'".format(item)
    star, first, last, step = match.groups()
    if step is not None:
        if not star and last is None:
            return "a step needs '*' or a range 'N-M' before '/'"
        if not 1 <= int(step) <= high:
            return "step {} is outside 1-{}".format(int(step), high)
    values = []
    for token in (first, last):
        if token is None:
            continue
        if token.isdigit():
            value = int(token)
        elif names and token.upper() in names:
            value = names.index(token.upper()) + low
        else:
            allowed = "a number" + (" or a name ({}-{})".format(names[0], names[-1]) if names else "")
            return "'{}' is not {}".format(token, allowed)
        if not low <= value <= high:
            return "value {} is outside {}-{}".format(token, low, high)
        values.append(value)
    if len(values) == 2 and values[0] > values[1]:
        return "range '{}-{}' runs backwards".format(first, last)
    return None


def _timezone_problem(name):
    """Whether a name of the right shape (the schema checks that) is a time zone this machine knows."""
    if name == "UTC":
        return None
    unknown = "unknown time zone {} (an IANA name such as \"UTC\" or \"Europe/Lisbon\")".format(_shown(name))
    if _zoneinfo is not None:
        try:
            _zoneinfo.ZoneInfo(name)
        except (_zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            return unknown
        return None
    # Python 3.8: look for the compiled zone in the usual tz database folders, when there is one.
    folders = [f for f in ("/usr/share/zoneinfo", "/usr/lib/zoneinfo", "/usr/share/lib/zoneinfo", "/etc/zoneinfo")
               if os.path.isdir(f)]
    if folders and not any(os.path.isfile(os.path.join(f, name)) for f in folders):
        return unknown
    return None


def _message(name, rule, value, item=None):
    """The schema's message for a field's rule, its placeholders filled."""
    field = _PROPERTIES[name]
    values = {"got": _got(value), "shown": _shown(value), "minimum": str(field.get("minimum")),
              "maximum": str(field.get("maximum")), "enum": ", ".join(field.get("items", {}).get("enum", ())),
              "item": _shown(item)}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], field["x-messages"][rule])


def _value_problem(name, value):
    """The problem with one field's value, or None: the schema's rules in its message order, then what it cannot say."""
    failed = {}
    for error in _FIELD_VALIDATORS[name].iter_errors(value):
        failed.setdefault("/".join(str(p) for p in error.relative_schema_path), error)
    for rule in _PROPERTIES[name].get("x-messages", {}):
        if rule in failed:
            return _message(name, rule, value, failed[rule].instance)
    if _PROPERTIES[name].get("type") == "integer" and not isinstance(value, int):
        return _message(name, "type", value)  # 3.0 and 1e3: integers to a schema, not to a whole-number field
    if name == "cron":
        problem = cron_problem(value)
        if problem:
            return "must be a standard 5-field cron expression, got {}: {}".format(_shown(value), problem)
    if name == "timezone":
        return _timezone_problem(value)
    return None


def _cross_field_problem(schedule):
    """(field, problem) for rules that relate two fields, or None."""
    if schedule["max_retry_delay_seconds"] < schedule["retry_delay_seconds"]:
        return ("max_retry_delay_seconds", "must be >= retry_delay_seconds ({}), got {}".format(
            schedule["retry_delay_seconds"], schedule["max_retry_delay_seconds"]))
    if schedule["poll_interval_seconds"] > schedule["ingest_timeout_seconds"]:
        return ("poll_interval_seconds", "must be <= ingest_timeout_seconds ({}), got {}".format(
            schedule["ingest_timeout_seconds"], schedule["poll_interval_seconds"]))
    return None


def _check_object(path, obj, prefix, allowed, not_allowed_problem=None):
    for key in getattr(obj, "duplicates", ()):
        raise ScheduleError(path, "appears more than once", prefix + key)
    for key in obj:
        if key in allowed:
            continue
        if not_allowed_problem and key in _FIELD_NAMES:
            raise ScheduleError(path, not_allowed_problem, prefix + key)
        raise ScheduleError(path, "unknown field (known fields: {})".format(", ".join(allowed)), prefix + key)


def validate_schedule(document, path="<schedule>", environment=None):
    """Validates a parsed schedule document and returns the effective schedule for `environment` (None or "" means
    no override). Raises ScheduleError naming the first field that breaks a rule, in the documented order."""
    if not isinstance(document, dict):
        raise ScheduleError(path, "the top level must be a JSON object, got {}".format(_json_type(document)))
    _check_object(path, document, "", _FIELD_NAMES)

    base = {}
    for name in _FIELD_NAMES:
        if name not in document:
            if name in _REQUIRED:
                raise ScheduleError(path, "is required", name)
            base[name] = json.loads(json.dumps(_DEFAULTS[name]))
            continue
        if name == "environments":
            base[name] = document[name]
            continue
        problem = _value_problem(name, document[name])
        if problem:
            raise ScheduleError(path, problem, name)
        base[name] = document[name]
    cross = _cross_field_problem(base)
    if cross:
        raise ScheduleError(path, cross[1], cross[0])

    environments = base.pop("environments")
    if not isinstance(environments, dict):
        raise ScheduleError(path, _message("environments", "type", environments), "environments")
    overridable = tuple(n for n in _FIELD_NAMES if n not in _NOT_OVERRIDABLE)
    effective = {}
    for key in getattr(environments, "duplicates", ()):
        raise ScheduleError(path, "appears more than once", "environments." + key)
    for env_name, overrides in environments.items():
        prefix = "environments.{}".format(env_name)
        if not _ENVIRONMENT_NAME.match(env_name):
            raise ScheduleError(path, "environment names must be 1-64 letters, digits, '_', '.' or '-'", prefix)
        if not isinstance(overrides, dict):
            raise ScheduleError(path, "must be an object of field overrides, " + _got(overrides), prefix)
        _check_object(path, overrides, prefix + ".", overridable, "cannot be overridden per environment")
        merged = dict(base)
        for name in _FIELD_NAMES:
            if name in overrides:
                problem = _value_problem(name, overrides[name])
                if problem:
                    raise ScheduleError(path, problem, "{}.{}".format(prefix, name))
                merged[name] = overrides[name]
        cross = _cross_field_problem(merged)
        if cross:
            raise ScheduleError(path, cross[1], "{}.{}".format(prefix, cross[0]))
        effective[env_name] = merged

    if environment:
        if environment not in effective:
            known = ", ".join(sorted(effective)) or "none defined"
            raise ScheduleError(path, "no environment '{}' (selected by {}); known: {}".format(
                environment, ENVIRONMENT_VARIABLE, known), "environments")
        result = effective[environment]
    else:
        result = base
    result = dict(result)
    result["environment"] = environment or None
    result["environments"] = sorted(effective)
    result["freshness_stages"] = list(result["freshness_stages"])
    return result


def load_schedule(path, environment=None):
    """Reads, validates and returns the effective schedule (a dict with every field, `environment` = the selected
    environment or None, `environments` = the names defined, `schedule_file` = path). Raises ScheduleError."""
    path = str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        raise ScheduleError(path, "cannot read the file: {}".format(error.strerror or error))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ScheduleError(path, "not valid JSON: not UTF-8 text ({})".format(error.reason))
    try:
        document = json.loads(text, object_pairs_hook=_object_pairs, parse_constant=_no_constant)
    except ValueError as error:
        detail = getattr(error, "msg", str(error))
        lineno, colno = getattr(error, "lineno", None), getattr(error, "colno", None)
        where = " at line {} column {}".format(lineno, colno) if lineno else ""
        raise ScheduleError(path, "not valid JSON: {}{}".format(detail, where))
    result = validate_schedule(document, path, environment)
    result["schedule_file"] = path
    return result


def retry_delays(schedule):
    """The delays (seconds) between attempts Airflow would use for this schedule, without Airflow's jitter:
    retry_delay_seconds * 2**(n-1), capped at max_retry_delay_seconds, when retry_exponential_backoff is true."""
    delays = []
    for attempt in range(1, schedule["retries"] + 1):
        delay = schedule["retry_delay_seconds"]
        if schedule["retry_exponential_backoff"]:
            delay = delay * (2 ** (attempt - 1))
        delays.append(min(delay, schedule["max_retry_delay_seconds"]))
    return delays


# --------------------------------------------------------------------------------------------------------------------
# Service URLs
# --------------------------------------------------------------------------------------------------------------------

def normalize_url(url, source):
    text = (url or "").strip()
    parsed = urllib.parse.urlsplit(text)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ServiceUrlError("{} is not an http(s) URL: {!r}".format(source, text))
    return text.rstrip("/")


def connection_url(host, port=None, schema=None, conn_type=None):
    """The base URL described by an Airflow connection's fields. `host` may already be a URL; otherwise the scheme
    is `schema` when it is http/https (the HTTP provider's convention), else `conn_type` when http/https, else http."""
    host = (host or "").strip()
    if not host:
        return None
    if "://" in host:
        return host.rstrip("/")
    scheme = next((s for s in (schema, conn_type) if s in ("http", "https")), "http")
    return "{}://{}{}".format(scheme, host, ":{}".format(port) if port else "")


def service_url(name, airflow_conn_id=None, resolver=None, environ=None):
    """Base URL of the `name` service ("ingest", "processor").

    Looked up in order: env var CRYPTOETL_<NAME>_URL; Aspire's service discovery variables services__<name>__https__0
    and services__<name>__http__0; then `resolver(airflow_conn_id)` (the DAG passes one that reads an Airflow
    connection; it returns a URL or None). Raises ServiceUrlError when none gives an http(s) URL."""
    environ = os.environ if environ is None else environ
    variable = "CRYPTOETL_{}_URL".format(name.upper())
    for key in (variable, "services__{}__https__0".format(name), "services__{}__http__0".format(name)):
        if environ.get(key, "").strip():
            return normalize_url(environ[key], "environment variable " + key)
    if airflow_conn_id and resolver is not None:
        url = resolver(airflow_conn_id)
        if url:
            return normalize_url(url, "Airflow connection '{}'".format(airflow_conn_id))
    hint = " or create the Airflow connection '{}'".format(airflow_conn_id) if airflow_conn_id else ""
    raise ServiceUrlError("no URL for the {} service: set the environment variable {}{}".format(name, variable, hint))


# --------------------------------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------------------------------

def _http(method, url, timeout, headers=None):
    """One HTTP call. Returns (status, reason, body text). Raises ServiceUnavailable when there is no answer."""
    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None,
                                     headers={"Accept": "application/json", "User-Agent": USER_AGENT})
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.reason, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as error:
        try:
            body = error.read().decode("utf-8", "replace")
        except Exception:  # the body is only context for the message
            body = ""
        return error.code, error.reason, body
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, (socket.timeout, TimeoutError)):
            raise ServiceUnavailable("{} {}: no answer within {}s".format(method, url, _seconds(timeout)), url) from error
        raise ServiceUnavailable("{} {}: cannot connect: {}".format(method, url, reason), url) from error
    except (socket.timeout, TimeoutError) as error:
        raise ServiceUnavailable("{} {}: no answer within {}s".format(method, url, _seconds(timeout)), url) from error
    except (ConnectionError, http.client.HTTPException, OSError) as error:
        raise ServiceUnavailable("{} {}: connection failed: {}: {}".format(
            method, url, type(error).__name__, error), url) from error


def _problem_text(body):
    """A short description of an error body: ProblemDetails' title and detail when present, else the text."""
    try:
        problem = json.loads(body)
    except ValueError:
        problem = None
    if isinstance(problem, dict) and (problem.get("title") or problem.get("detail")):
        return " - ".join(str(problem[k]) for k in ("title", "detail") if problem.get(k))
    text = " ".join(body.split())
    return (text[:300] + "...") if len(text) > 300 else (text or "(empty body)")


def _json_body(method, url, status, body):
    try:
        return json.loads(body)
    except ValueError:
        raise UnexpectedResponse("{} {} answered {} with a body that is not JSON: {}".format(
            method, url, status, _problem_text(body)), url, status)


def _check_run(method, url, status, run):
    if not isinstance(run, dict) or not isinstance(run.get("runId"), str) or not run.get("status"):
        raise UnexpectedResponse("{} {} answered {} without a run (runId, status): {}".format(
            method, url, status, _shown(run)), url, status)
    return run


def _failure(method, url, status, reason, body):
    text = "{} {} answered {} {}: {}".format(method, url, status, reason, _problem_text(body))
    if status >= 500:
        return ServiceUnavailable(text, url, status)
    return UnexpectedResponse(text, url, status)


def trigger_ingest(ingest_url, idempotency_key=None, timeout=DEFAULT_REQUEST_TIMEOUT):
    """POST {ingest_url}/runs with the idempotency key; returns the run (a repeated key returns the run it started).

    Raises IngestBusy on 409 (another run is active), ServiceUnavailable when Ingest is down, times out or answers
    5xx, UnexpectedResponse on any other answer."""
    url = ingest_url.rstrip("/") + "/runs"
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    status, reason, body = _http("POST", url, timeout, headers)
    if status in (200, 201, 202):
        run = _check_run("POST", url, status, _json_body("POST", url, status, body))
        log.info("Ingest run %s (idempotency key %r): %s", run["runId"], idempotency_key, run["status"])
        return run
    if status == 409:
        active = None
        try:
            problem = json.loads(body)
            active = problem.get("activeRunId") if isinstance(problem, dict) else None
        except ValueError:
            pass
        raise IngestBusy("POST {} answered 409: Ingest run {} is still active, so no new run was started "
                         "(idempotency key {!r}); retry when it has finished".format(
                             url, active or "(id not given)", idempotency_key), active)
    raise _failure("POST", url, status, reason, body)


def get_run(ingest_url, run_id, timeout=DEFAULT_REQUEST_TIMEOUT):
    """GET {ingest_url}/runs/{run_id}. Raises RunNotFound on 404, ServiceUnavailable, UnexpectedResponse."""
    url = "{}/runs/{}".format(ingest_url.rstrip("/"), urllib.parse.quote(run_id, safe=""))
    status, reason, body = _http("GET", url, timeout)
    if status == 200:
        return _check_run("GET", url, status, _json_body("GET", url, status, body))
    if status == 404:
        raise RunNotFound("GET {} answered 404: Ingest has no run '{}': {}".format(
            url, run_id, _problem_text(body)), url, status)
    raise _failure("GET", url, status, reason, body)


def describe_run(run):
    """One line about a run for logs and messages."""
    parts = ["run {} {}".format(run.get("runId"), run.get("status"))]
    if run.get("durationSeconds") is not None:
        parts.append("in {:.1f}s".format(run["durationSeconds"]))
    counts = ", ".join("{} {}".format(k, run[k]) for k in ("fetched", "published", "duplicates", "rejected")
                       if run.get(k) is not None)
    if counts:
        parts.append("({})".format(counts))
    if run.get("source"):
        parts.append("source {}".format(run["source"]))
    return " ".join(parts)


def wait_for_ingest(ingest_url, run_id, timeout_seconds, poll_interval_seconds, request_timeout=10.0,
                    max_consecutive_errors=5, clock=time.monotonic, sleep=time.sleep):
    """Polls GET /runs/{run_id} until the run has succeeded (returns it) or failed (raises IngestRunFailed with the
    run's error). Raises IngestTimeout when it is still running after `timeout_seconds`; ServiceUnavailable when
    `max_consecutive_errors` polls in a row got no answer (or a 5xx); RunNotFound when Ingest does not know the run."""
    if timeout_seconds <= 0 or poll_interval_seconds <= 0:
        raise ValueError("timeout_seconds and poll_interval_seconds must be > 0")
    deadline = clock() + timeout_seconds
    run, last_error, errors, polls, last_status = None, None, 0, 0, None
    while True:
        remaining = deadline - clock()
        try:
            run = get_run(ingest_url, run_id, timeout=max(0.1, min(request_timeout, remaining)))
            errors, last_error = 0, None
        except ServiceUnavailable as error:
            errors, last_error = errors + 1, error
            log.warning("Polling Ingest run %s failed (%d in a row): %s", run_id, errors, error)
            if errors >= max_consecutive_errors:
                raise ServiceUnavailable("Ingest stopped answering while waiting for run {}: {} polls in a row "
                                         "failed; last: {}".format(run_id, errors, error), error.url, error.status)
        polls += 1
        if run is not None and last_error is None:
            status = run.get("status")
            if status != last_status:
                log.info("Ingest %s", describe_run(run))
                last_status = status
            if status == "succeeded":
                return run
            if status == "failed":
                raise IngestRunFailed("Ingest run {} failed: {} [{}]".format(
                    run_id, run.get("error") or "no error recorded", describe_run(run)), run)
            if status != "running":
                raise UnexpectedResponse("Ingest run {} has an unknown status {!r}".format(run_id, status))
        remaining = deadline - clock()
        if remaining <= 0:
            state = describe_run(run) if run is not None else "never seen"
            cause = "; last poll error: {}".format(last_error) if last_error else ""
            raise IngestTimeout("Ingest run {} did not finish within {}s ({} polls; last state: {}){}".format(
                run_id, _seconds(timeout_seconds), polls, state, cause), run_id, timeout_seconds, run)
        sleep(min(poll_interval_seconds, remaining))


# Event times more than this far ahead of the Processor's clock cannot be real (CryptoEtl.Contracts ValueContract.MaxAhead):
# a store whose newest event is in the future is not fresh, whatever its age says.
MAX_AHEAD_SECONDS = 60


def check_freshness(processor_url, sla_seconds, stages=DEFAULT_FRESHNESS_STAGES, timeout=DEFAULT_REQUEST_TIMEOUT):
    """GET {processor_url}/api/pipeline/freshness and check each stage's age against the SLA.

    Returns the freshness document. Raises StaleData naming every stage older than `sla_seconds`, without data
    (newestEventTime or ageSeconds null, or the stage missing), or with its newest event more than MAX_AHEAD_SECONDS in
    the future; ServiceUnavailable / UnexpectedResponse as above."""
    stages = tuple(stages)
    unknown = [s for s in stages if s not in STAGES]
    if unknown or not stages:
        raise ValueError("stages must be a non-empty subset of {}, got {}".format(", ".join(STAGES), list(stages)))
    url = processor_url.rstrip("/") + "/api/pipeline/freshness"
    status, reason, body = _http("GET", url, timeout)
    if status != 200:
        raise _failure("GET", url, status, reason, body)
    freshness = _json_body("GET", url, status, body)
    if not isinstance(freshness, dict) or not isinstance(freshness.get("stages"), dict):
        raise UnexpectedResponse("GET {} answered without a 'stages' object: {}".format(url, _shown(freshness)),
                                 url, status)
    stale, notes = {}, []
    for stage in stages:
        info = freshness["stages"].get(stage)
        age = info.get("ageSeconds") if isinstance(info, dict) else None
        newest = info.get("newestEventTime") if isinstance(info, dict) else None
        if not isinstance(info, dict):
            stale[stage] = None
            notes.append("{} is not reported".format(stage))
        elif newest is None or not isinstance(age, (int, float)) or isinstance(age, bool):
            stale[stage] = None
            notes.append("{} has no data yet".format(stage))
        elif age > sla_seconds:
            stale[stage] = age
            notes.append("{} is {:.0f}s old (newest event {})".format(stage, age, newest))
        elif age < -MAX_AHEAD_SECONDS:
            stale[stage] = age
            notes.append("{} has its newest event {:.0f}s in the future ({}), which no real data has".format(stage, -age, newest))
    lag = freshness.get("consumerLag") or {}
    lag_text = ", ".join("{}={}".format(k, "unknown" if v is None else v) for k, v in sorted(lag.items())) \
        if isinstance(lag, dict) else ""
    if stale:
        raise StaleData("Pipeline data is stale (SLA {}s): {}; checked at {}{}".format(
            sla_seconds, "; ".join(notes), freshness.get("checkedAt"),
            "; consumer lag " + lag_text if lag_text else ""), stale, sla_seconds, freshness)
    ages = ", ".join("{} {:.0f}s".format(s, freshness["stages"][s]["ageSeconds"]) for s in stages)
    log.info("Pipeline data is fresh (SLA %ss): %s%s", sla_seconds, ages,
             "; consumer lag " + lag_text if lag_text else "")
    return freshness


def stage_ages(freshness, stages=STAGES):
    """{stage: ageSeconds or None} for the stages present in a freshness document."""
    result = {}
    for stage in stages:
        info = (freshness.get("stages") or {}).get(stage)
        if isinstance(info, dict):
            result[stage] = info.get("ageSeconds")
    return result

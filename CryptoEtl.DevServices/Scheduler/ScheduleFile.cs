using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Cronos;

namespace CryptoEtl.DevServices.Scheduler;

/// <summary>
/// Reads and validates a schedule file exactly as docker/airflow/dags/crypto_etl_tasks.py does (see docker/airflow/README.md
/// for the rules and their order): each field against the shared JSON Schema (<see cref="ScheduleSchema"/>), then what a
/// schema cannot say; the first problem found is reported, naming its field.
/// </summary>
public static partial class ScheduleFile
{
    private static readonly IReadOnlyList<string> FieldNames = ScheduleSchema.Fields;
    private static readonly IReadOnlyList<string> Overridable = [.. FieldNames.Where(n => n is not ("dag_id" or "environments"))];

    public static PipelineSchedule Load(string path, string? environment = null)
    {
        string text;
        try
        {
            text = File.ReadAllText(path); // UTF-8, a byte-order mark allowed
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ScheduleException(path, $"cannot read the file: {e.Message}");
        }

        JsonElement document;
        try
        {
            using var parsed = JsonDocument.Parse(text);
            document = parsed.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ScheduleException(path, $"not valid JSON: {e.Message}");
        }

        return Validate(document, path, string.IsNullOrEmpty(environment) ? null : environment);
    }

    public static PipelineSchedule Validate(JsonElement document, string path, string? environment)
    {
        if (document.ValueKind != JsonValueKind.Object)
        {
            throw new ScheduleException(path, $"the top level must be a JSON object, got {ScheduleSchema.TypeOf(document)}");
        }

        CheckNames(path, document, "", FieldNames, null);
        var values = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var field in FieldNames)
        {
            if (!document.TryGetProperty(field, out var value))
            {
                if (ScheduleSchema.Required.Contains(field))
                {
                    throw new ScheduleException(path, "is required", field);
                }

                continue;
            }

            if (field != "environments" && Problem(field, value) is { } problem)
            {
                throw new ScheduleException(path, problem, field);
            }

            values[field] = value;
        }

        if (CrossFieldProblem(values) is { } cross)
        {
            throw new ScheduleException(path, cross.Problem, cross.Field);
        }

        var effective = new SortedDictionary<string, Dictionary<string, JsonElement>>(StringComparer.Ordinal);
        if (values.Remove("environments", out var environments))
        {
            if (environments.ValueKind != JsonValueKind.Object)
            {
                throw new ScheduleException(path, ScheduleSchema.Message("environments", "type", environments), "environments");
            }

            if (FirstDuplicate(environments) is { } repeated)
            {
                throw new ScheduleException(path, "appears more than once", $"environments.{repeated}");
            }

            foreach (var entry in environments.EnumerateObject())
            {
                var prefix = $"environments.{entry.Name}";
                if (!ScheduleSchema.EnvironmentName.IsMatch(entry.Name))
                {
                    throw new ScheduleException(path, "environment names must be 1-64 letters, digits, '_', '.' or '-'", prefix);
                }

                if (entry.Value.ValueKind != JsonValueKind.Object)
                {
                    throw new ScheduleException(path, $"must be an object of field overrides, {ScheduleSchema.Got(entry.Value)}", prefix);
                }

                CheckNames(path, entry.Value, prefix + ".", Overridable, "cannot be overridden per environment");
                var merged = new Dictionary<string, JsonElement>(values, StringComparer.Ordinal);
                foreach (var field in FieldNames)
                {
                    if (entry.Value.TryGetProperty(field, out var value))
                    {
                        if (Problem(field, value) is { } problem)
                        {
                            throw new ScheduleException(path, problem, $"{prefix}.{field}");
                        }

                        merged[field] = value;
                    }
                }

                if (CrossFieldProblem(merged) is { } mergedCross)
                {
                    throw new ScheduleException(path, mergedCross.Problem, $"{prefix}.{mergedCross.Field}");
                }

                effective[entry.Name] = merged;
            }
        }

        if (environment is not null)
        {
            if (!effective.TryGetValue(environment, out var selected))
            {
                var known = effective.Count == 0 ? "none defined" : string.Join(", ", effective.Keys);
                throw new ScheduleException(path, $"no environment '{environment}' (selected by CRYPTOETL_ENVIRONMENT); known: {known}", "environments");
            }

            values = selected;
        }

        return Build(values, environment);
    }

    private static PipelineSchedule Build(Dictionary<string, JsonElement> values, string? environment)
    {
        int Int(string name) => values[name].GetInt32();
        TimeSpan Seconds(string name) => TimeSpan.FromSeconds(Int(name));
        var zone = values["timezone"].GetString()!;
        return new PipelineSchedule
        {
            DagId = values["dag_id"].GetString()!,
            Description = values.TryGetValue("description", out var description) ? description.GetString()! : "",
            Cron = values["cron"].GetString()!,
            Expression = CronExpression.Parse(values["cron"].GetString()!.Trim(), CronFormat.Standard),
            TimeZone = zone == "UTC" ? TimeZoneInfo.Utc : TimeZoneInfo.FindSystemTimeZoneById(zone),
            Catchup = values["catchup"].GetBoolean(),
            MaxActiveRuns = Int("max_active_runs"),
            Retries = Int("retries"),
            RetryDelay = Seconds("retry_delay_seconds"),
            RetryExponentialBackoff = values["retry_exponential_backoff"].GetBoolean(),
            MaxRetryDelay = Seconds("max_retry_delay_seconds"),
            IngestTimeout = Seconds("ingest_timeout_seconds"),
            PollInterval = Seconds("poll_interval_seconds"),
            FreshnessSla = Seconds("freshness_sla_seconds"),
            FreshnessStages = values.TryGetValue("freshness_stages", out var stages) ? stages.EnumerateArray().Select(s => s.GetString()!).ToList() : ["ticks", "candles"],
            Environment = environment,
        };
    }

    private static void CheckNames(string path, JsonElement obj, string prefix, IReadOnlyList<string> allowed, string? notAllowedProblem)
    {
        if (FirstDuplicate(obj) is { } repeated)
        {
            throw new ScheduleException(path, "appears more than once", prefix + repeated);
        }

        foreach (var property in obj.EnumerateObject())
        {
            if (allowed.Contains(property.Name))
            {
                continue;
            }

            throw notAllowedProblem is not null && FieldNames.Contains(property.Name)
                ? new ScheduleException(path, notAllowedProblem, prefix + property.Name)
                : new ScheduleException(path, $"unknown field (known fields: {string.Join(", ", allowed)})", prefix + property.Name);
        }
    }

    private static string? FirstDuplicate(JsonElement obj)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return obj.EnumerateObject().Select(p => p.Name).FirstOrDefault(name => !seen.Add(name));
    }

    /// <summary>The problem with one field's value, or null: the schema's rules in its message order, then what it cannot say.</summary>
    private static string? Problem(string field, JsonElement value)
    {
        if (ScheduleSchema.Problem(field, value) is { } problem)
        {
            return problem;
        }

        if (ScheduleSchema.IsIntegerField(field) && ScheduleSchema.TypeOf(value) != "integer")
        {
            return ScheduleSchema.Message(field, "type", value); // 3.0 and 1e3: integers to a schema, not to a whole-number field
        }

        return field switch
        {
            "cron" when CronProblem(value.GetString()!) is { } cron => $"must be a standard 5-field cron expression, got {ScheduleSchema.Shown(value)}: {cron}",
            "timezone" => TimeZoneProblem(value),
            _ => null,
        };
    }

    private static (string Field, string Problem)? CrossFieldProblem(Dictionary<string, JsonElement> values)
    {
        long Int(string name) => values[name].GetInt64();
        if (Int("max_retry_delay_seconds") < Int("retry_delay_seconds"))
        {
            return ("max_retry_delay_seconds", string.Create(CultureInfo.InvariantCulture, $"must be >= retry_delay_seconds ({Int("retry_delay_seconds")}), got {Int("max_retry_delay_seconds")}"));
        }

        if (Int("poll_interval_seconds") > Int("ingest_timeout_seconds"))
        {
            return ("poll_interval_seconds", string.Create(CultureInfo.InvariantCulture, $"must be <= ingest_timeout_seconds ({Int("ingest_timeout_seconds")}), got {Int("poll_interval_seconds")}"));
        }

        return null;
    }

    private static string? TimeZoneProblem(JsonElement value)
    {
        var name = value.GetString()!;
        if (name == "UTC")
        {
            return null;
        }

        try
        {
            TimeZoneInfo.FindSystemTimeZoneById(name);
            return null;
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return $"unknown time zone {ScheduleSchema.Shown(value)} (an IANA name such as \"UTC\" or \"Europe/Lisbon\")";
        }
    }

    private sealed record CronField(string Name, int Low, int High, string[]? Names);

    private static readonly CronField[] CronFields =
    [
        new("minute", 0, 59, null),
        new("hour", 0, 23, null),
        new("day-of-month", 1, 31, null),
        new("month", 1, 12, ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]),
        new("day-of-week", 0, 7, ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]),
    ];

    /// <summary>Null for a standard 5-field cron expression; otherwise what is wrong with it.</summary>
    /// <remarks>
    /// Cronos parses the expression once it is valid (<see cref="PipelineSchedule.Expression"/>), but does not decide what
    /// is valid: it accepts what the DAG's reader refuses (<c>L</c>, <c>W</c>, <c>#</c>, <c>?</c>), and its messages are
    /// its own. This check is the DAG's Python reader's, rule for rule and message for message (the shared
    /// vectors in docker/airflow/tests/schedule_cases.json hold both to it), so a schedule either reader refuses, both do.
    /// </remarks>
    public static string? CronProblem(string expression)
    {
        var parts = expression.Split([' ', '\t', '\n', '\r', '\f', '\v'], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 5)
        {
            return $"expected 5 fields (minute hour day-of-month month day-of-week) separated by spaces, got {parts.Length}";
        }

        foreach (var (text, field) in parts.Zip(CronFields))
        {
            foreach (var item in text.Split(','))
            {
                if (CronItemProblem(item, field) is { } problem)
                {
                    return $"{field.Name} field '{text}': {problem}";
                }
            }
        }

        return null;
    }

    private static string? CronItemProblem(string item, CronField field)
    {
        if (item.Length == 0)
        {
            return "empty list item";
        }

        var match = CronItem().Match(item);
        if (!match.Success)
        {
            return $"'{item}' is not '*', 'N', 'N-M' or one of those followed by '/STEP'";
        }

        var (star, first, last, step) = (match.Groups[1], match.Groups[2], match.Groups[3], match.Groups[4]);
        if (step.Success)
        {
            if (!star.Success && !last.Success)
            {
                return "a step needs '*' or a range 'N-M' before '/'";
            }

            var size = long.Parse(step.Value, CultureInfo.InvariantCulture);
            if (size < 1 || size > field.High)
            {
                return string.Create(CultureInfo.InvariantCulture, $"step {size} is outside 1-{field.High}");
            }
        }

        var values = new List<long>();
        foreach (var token in new[] { first, last }.Where(g => g.Success).Select(g => g.Value))
        {
            long value;
            if (token.All(char.IsAsciiDigit))
            {
                value = long.Parse(token, CultureInfo.InvariantCulture);
            }
            else if (field.Names is { } names && Array.IndexOf(names, token.ToUpperInvariant()) is >= 0 and var index)
            {
                value = index + field.Low;
            }
            else
            {
                return $"'{token}' is not a number{(field.Names is { } n ? $" or a name ({n[0]}-{n[^1]})" : "")}";
            }

            if (value < field.Low || value > field.High)
            {
                return string.Create(CultureInfo.InvariantCulture, $"value {token} is outside {field.Low}-{field.High}");
            }

            values.Add(value);
        }

        return values.Count == 2 && values[0] > values[1] ? $"range '{first.Value}-{last.Value}' runs backwards" : null;
    }

    [GeneratedRegex("^(?:(\\*)|([A-Za-z0-9]+)(?:-([A-Za-z0-9]+))?)(?:/([0-9]+))?$")]
    private static partial Regex CronItem();
}

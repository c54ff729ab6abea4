using System.Text.Json;
using CryptoEtl.DevServices.Scheduler;

namespace CryptoEtl.DevServices.Tests.Scheduler;

/// <summary>
/// The embedded scheduler reads the schedule file exactly as the Airflow DAG's Python module does: both run the shared
/// test vectors in docker/airflow/tests/schedule_cases.json (the Python side in docker/airflow/tests/test_schedule.py),
/// each against the same JSON Schema (docker/airflow/dags/crypto_etl_schedule.schema.json).
/// </summary>
public sealed class ScheduleFileTests
{
    private static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "Scheduler");

    public static TheoryData<string> Cases()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "schedule_cases.json")));
        return new TheoryData<string>(document.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("name").GetString()!));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_shared_case_is_accepted_or_refused_like_the_DAG_does(string name)
    {
        using var cases = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "schedule_cases.json")));
        var @case = cases.RootElement.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
        var path = Path.Combine(Path.GetTempPath(), $"schedule-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, @case.TryGetProperty("text", out var text) ? text.GetString() : @case.GetProperty("document").GetRawText());
        var environment = @case.TryGetProperty("environment", out var env) ? env.GetString() : null;

        if (@case.TryGetProperty("expect", out var expect))
        {
            var schedule = PipelineSchedule.Load(path, environment);
            foreach (var field in expect.EnumerateObject())
            {
                Assert.Equal(field.Value.ValueKind == JsonValueKind.Array ? JsonSerializer.Serialize(field.Value) : field.Value.ToString(), Effective(schedule, field.Name));
            }

            return;
        }

        var error = Assert.Throws<ScheduleException>(() => PipelineSchedule.Load(path, environment));
        var expectedField = @case.GetProperty("field").ValueKind == JsonValueKind.Null ? null : @case.GetProperty("field").GetString();
        Assert.Equal(expectedField, error.Field);
        Assert.StartsWith($"schedule file {path}: ", error.Message, StringComparison.Ordinal);
        if (@case.TryGetProperty("error", out var message))
        {
            Assert.Equal(message.GetString(), error.Problem);
        }
        else
        {
            Assert.StartsWith(@case.GetProperty("error_starts_with").GetString(), error.Problem, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_shipped_schedule_and_every_accepted_case_follow_the_schema_as_a_whole()
    {
        var schema = Json.Schema.JsonSchema.FromText(File.ReadAllText(Path.Combine(Directory, "crypto_etl_schedule.schema.json")),
            new Json.Schema.BuildOptions { Dialect = Json.Schema.Dialect.Draft07 });
        using var shipped = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "crypto_etl_schedule.json")));
        using var cases = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "schedule_cases.json")));
        var accepted = cases.RootElement.GetProperty("cases").EnumerateArray().Where(c => c.TryGetProperty("expect", out _)).Select(c => c.GetProperty("document")).ToList();

        Assert.True(schema.Evaluate(shipped.RootElement).IsValid);
        Assert.True(accepted.Count > 5);
        Assert.All(accepted, document => Assert.True(schema.Evaluate(document).IsValid, document.GetRawText()));
        using var typo = JsonDocument.Parse("""{"dag_id": "x", "retires": 3}""");
        Assert.False(schema.Evaluate(typo.RootElement).IsValid); // the schema is not a rubber stamp
    }

    [Fact]
    public void The_shipped_schedule_runs_every_five_minutes_and_dev_every_minute()
    {
        var path = Path.Combine(Directory, "crypto_etl_schedule.json");
        var shipped = PipelineSchedule.Load(path);
        var dev = PipelineSchedule.Load(path, "dev");

        Assert.Equal(("crypto_etl", "*/5 * * * *", false, 1), (shipped.DagId, shipped.Cron, shipped.Catchup, shipped.MaxActiveRuns));
        Assert.Equal(TimeSpan.FromMinutes(15), shipped.FreshnessSla);
        Assert.Equal([TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(120)], new[] { 2, 3, 4 }.Select(shipped.DelayBeforeTry));
        Assert.Equal("* * * * *", dev.Cron);
    }

    /// <summary>The effective value of a field, written as the test vectors write it (JSON's text form).</summary>
    private static string Effective(PipelineSchedule schedule, string field) => field switch
    {
        "cron" => schedule.Cron,
        "description" => schedule.Description,
        "timezone" => schedule.TimeZone.Id,
        "retries" => schedule.Retries.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "freshness_sla_seconds" => schedule.FreshnessSla.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "freshness_stages" => JsonSerializer.Serialize(schedule.FreshnessStages),
        "catchup" => schedule.Catchup ? "True" : "False",
        "max_active_runs" => schedule.MaxActiveRuns.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => throw new InvalidOperationException($"The test does not know how to read '{field}'."),
    };
}

using System.Buffers.Binary;
using System.CommandLine;
using CryptoEtl.Contracts;
using CryptoEtl.SparkJob.SparkConnect;
using CryptoEtl.SparkJob.SparkConnect.Jobs;
using CryptoEtl.SparkJob.SparkConnect.Protocol;
using CryptoEtl.TestSupport;

namespace CryptoEtl.SparkJob.Tests.SparkConnect;

/// <summary>submit, status and stop as a user runs them, against the fake Spark Connect server and the embedded Schema Registry.</summary>
public sealed class SparkCommandsTests : IAsyncLifetime
{
    private static readonly string[] AllQueries =
        ["cryptoetl-ticks", "cryptoetl-candles-1m", "cryptoetl-candles-5m", "cryptoetl-candles-1h", "cryptoetl-alerts", "cryptoetl-deadletters"];

    private FakeSparkConnectServer _server = null!;
    private EmbeddedInfrastructure _infrastructure = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private FakeSpark Spark => _server.Spark;

    public async ValueTask InitializeAsync()
    {
        _server = await FakeSparkConnectServer.StartAsync();
        _infrastructure = await EmbeddedInfrastructure.StartAsync(createPipelineTopics: false);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        await _infrastructure.DisposeAsync();
    }

    private async Task<(int Code, string Output, string Error)> RunAsync(params string[] arguments)
    {
        var root = new RootCommand();
        foreach (var command in SparkCommands.All())
        {
            root.Subcommands.Add(command);
        }

        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await root.Parse(arguments).InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, Cancel);
        return (code, output.ToString(), error.ToString());
    }

    private Task<(int Code, string Output, string Error)> SubmitAsync() => RunAsync(
        "submit", "--remote", _server.Remote, "--checkpoint", "/checkpoints",
        "--ConnectionStrings:kafka=kafka:29092", $"--ConnectionStrings:schema-registry={_infrastructure.RegistryUrl}");

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public async Task Submit_starts_every_query_and_prints_their_ids()
    {
        var (code, output, error) = await SubmitAsync();

        Assert.True(code == 0, error);
        var lines = Lines(output);
        Assert.Equal($"Spark 3.5.3 at {_server.Remote} (session {SparkRemote.DefaultSessionId}, user cryptoetl)", lines[0]);
        Assert.Equal(AllQueries, Spark.ActiveQueries.Select(q => q.Name));
        foreach (var query in Spark.ActiveQueries)
        {
            Assert.Contains(lines, l => l.StartsWith("started", StringComparison.Ordinal) && l.Contains($" {query.Name} ", StringComparison.Ordinal)
                && l.EndsWith($"id={query.Id} runId={query.RunId}", StringComparison.Ordinal));
            Assert.StartsWith("/checkpoints/", query.Start.Options["checkpointLocation"], StringComparison.Ordinal);
        }

        Assert.Equal(("6", "UTC"), (Spark.Config["spark.sql.shuffle.partitions"], Spark.Config["spark.sql.session.timeZone"]));
    }

    [Fact]
    public async Task Submit_writes_the_schema_ids_the_registry_gave_into_the_confluent_headers()
    {
        await SubmitAsync();

        var registered = await _infrastructure.Registry.GetLatestSchemaAsync(Topics.ValueSubject(Topics.Ticks));
        var ticks = Spark.ActiveQueries.Single(q => q.Name == "cryptoetl-ticks").Start;
        var header = ticks.Input.Project.Expressions[1].Alias.Expr.UnresolvedFunction.Arguments[0].Literal.Binary.ToByteArray();
        Assert.Equal(0, header[0]);
        Assert.Equal(registered.Id, BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(1)));
        var snapshotId = await _infrastructure.Registry.GetLatestSchemaAsync(Topics.ValueSubject(Topics.Snapshots));
        Assert.Contains($"X'00{snapshotId.Id:X8}'", PlanText(ticks), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submitting_again_reports_the_running_queries_and_restarts_only_the_one_that_stopped()
    {
        await SubmitAsync();
        var alerts = Spark.ActiveQueries.Single(q => q.Name == "cryptoetl-alerts");
        Spark.Fail("cryptoetl-alerts", "org.apache.spark.SparkException: boom");

        var (code, output, _) = await SubmitAsync();

        Assert.Equal(0, code);
        var lines = Lines(output);
        Assert.Equal(5, lines.Count(l => l.StartsWith("running", StringComparison.Ordinal) && l.EndsWith("(already active; not started again)", StringComparison.Ordinal)));
        Assert.Single(lines, l => l.StartsWith("started   cryptoetl-alerts", StringComparison.Ordinal));
        Assert.Equal(7, Spark.Queries.Count);
        var restarted = Spark.ActiveQueries.Single(q => q.Name == "cryptoetl-alerts");
        Assert.Equal(alerts.Id, restarted.Id); // same checkpoint, same query id; a new run
        Assert.NotEqual(alerts.RunId, restarted.RunId);
    }

    [Fact]
    public async Task A_query_Spark_refuses_is_reported_with_Sparks_message_while_the_others_start()
    {
        Spark.RefuseStart = start => start.QueryName == "cryptoetl-alerts"
            ? "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, variable, or function parameter with name `tick`.`ms` cannot be resolved."
            : null;

        var (code, output, _) = await SubmitAsync();

        Assert.Equal(SparkCommands.Failed, code);
        Assert.Contains("failed    cryptoetl-alerts         [UNRESOLVED_COLUMN.WITH_SUGGESTION] A column, variable, or function parameter with name `tick`.`ms` cannot be resolved.",
            Lines(output));
        Assert.Equal(AllQueries.Where(n => n != "cryptoetl-alerts"), Spark.ActiveQueries.Select(q => q.Name));
    }

    [Fact]
    public async Task The_server_can_come_as_an_AppHost_connection_string()
    {
        await SubmitAsync();

        var (code, output, _) = await RunAsync("status", $"--ConnectionStrings:spark={_server.Remote}");

        Assert.Equal(0, code);
        Assert.Contains(Lines(output), l => l.StartsWith("cryptoetl-ticks ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Status_shows_each_query_with_sparks_status_and_last_progress()
    {
        Spark.ProgressJson = """
            {"id":"q","runId":"r","name":"cryptoetl-ticks","timestamp":"2026-11-24T10:00:00.000Z","batchId":7,"numInputRows":120,
             "inputRowsPerSecond":12.0,"processedRowsPerSecond":30.5,"eventTime":{"watermark":"2026-11-24T09:58:00.000Z"},
             "stateOperators":[{"numRowsTotal":42,"numRowsDroppedByWatermark":3}]}
            """;
        await SubmitAsync();

        var (code, output, _) = await RunAsync("status", "--remote", _server.Remote);

        Assert.Equal(0, code);
        var lines = Lines(output);
        var ticks = Spark.ActiveQueries.Single(q => q.Name == "cryptoetl-ticks");
        Assert.Contains($"cryptoetl-ticks          active id={ticks.Id} runId={ticks.RunId}", lines);
        Assert.Contains("status: Waiting for data to arrive (data available: no, trigger active: no)", lines);
        Assert.Contains("last progress: batch 7 at 2026-11-24T10:00:00.000Z: 120 rows in, 12 rows/s in, 30.5 rows/s processed, "
            + "watermark 2026-11-24T09:58:00.000Z, 42 state rows, 3 late rows dropped", lines);
        Assert.Equal(6, lines.Count(l => l.StartsWith("status:", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Status_exits_with_3_and_says_which_query_is_not_running()
    {
        await SubmitAsync();
        Spark.Fail("cryptoetl-candles-5m", "boom");

        var (code, output, _) = await RunAsync("status", "--remote", _server.Remote);

        Assert.Equal(SparkCommands.NotAllRunning, code);
        Assert.Contains("cryptoetl-candles-5m     not running", Lines(output));
    }

    [Fact]
    public async Task Stop_stops_every_running_query_and_a_second_stop_finds_none()
    {
        await SubmitAsync();

        var (code, output, _) = await RunAsync("stop", "--remote", _server.Remote);
        var (_, again, _) = await RunAsync("stop", "--remote", _server.Remote);

        Assert.Equal(0, code);
        Assert.Equal(6, Lines(output).Count(l => l.StartsWith("stopped", StringComparison.Ordinal)));
        Assert.Empty(Spark.ActiveQueries);
        Assert.Contains($"No cryptoetl-* query is active in session {SparkRemote.DefaultSessionId}.", Lines(again));
        var (_, status, _) = await RunAsync("status", "--remote", _server.Remote);
        Assert.Equal(6, Lines(status).Count(l => l.EndsWith("not running", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task The_session_id_in_the_address_selects_another_session()
    {
        var session = Guid.NewGuid();

        await RunAsync("status", "--remote", $"{_server.Remote}/;session_id={session}");

        Assert.All(Spark.Requests<ExecutePlanRequest>(), r => Assert.Equal(session.ToString(), r.SessionId));
    }

    [Fact]
    public async Task After_Spark_closed_the_jobs_session_every_command_uses_the_next_one()
    {
        await SubmitAsync();
        Spark.CloseSession(SparkRemote.DefaultSessionId.ToString()); // as when the session expired: its queries stopped
        var next = JobSession.Generation(SparkRemote.DefaultSessionId, 1).ToString();

        var (code, output, _) = await SubmitAsync();
        var (statusCode, status, _) = await RunAsync("status", "--remote", _server.Remote);

        Assert.Equal(0, code);
        Assert.Contains($"(session {next}, user cryptoetl)", Lines(output)[0], StringComparison.Ordinal);
        Assert.Equal(6, Lines(output).Count(l => l.StartsWith("started", StringComparison.Ordinal)));
        Assert.All(Spark.ActiveQueries, q => Assert.Equal(next, q.SessionId));
        Assert.Equal(0, statusCode);
        Assert.Contains($"(session {next}, user cryptoetl)", Lines(status)[0], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://spark:15002", "error: Spark:Remote: Invalid Spark Connect address 'http://spark:15002': the scheme must be sc://.")]
    [InlineData("sc://spark:15002/;session_id=42", "error: Spark:Remote: Invalid Spark Connect address 'sc://spark:15002/;session_id=***': session_id '42' is not a UUID")]
    public async Task A_malformed_remote_is_a_one_line_error_with_exit_code_2(string remote, string message)
    {
        var (code, output, error) = await RunAsync("status", "--remote", remote);

        Assert.Equal(SparkCommands.BadUsage, code);
        Assert.Empty(output);
        var line = Assert.Single(Lines(error));
        Assert.StartsWith(message, line, StringComparison.Ordinal);
        Assert.Empty(Spark.Calls);
    }

    [Fact]
    public async Task An_unknown_argument_is_an_error_instead_of_being_ignored()
    {
        var (code, _, error) = await RunAsync("status", "--remote", _server.Remote, "--remot", "sc://elsewhere");

        Assert.Equal(SparkCommands.BadUsage, code);
        Assert.StartsWith("error: unknown argument '--remot'", Assert.Single(Lines(error)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_without_a_schema_registry_says_which_setting_is_missing()
    {
        var (code, _, error) = await RunAsync("submit", "--remote", _server.Remote, "--ConnectionStrings:kafka=kafka:29092", "--ConnectionStrings:schema-registry=");

        Assert.Equal(SparkCommands.BadUsage, code);
        Assert.StartsWith("error: ConnectionStrings:schema-registry is not set", Assert.Single(Lines(error)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Spark_that_does_not_answer_is_exit_code_1_with_its_address()
    {
        var port = _server.Port;
        await _server.DisposeAsync();
        _server = await FakeSparkConnectServer.StartAsync();

        var (code, _, error) = await RunAsync("status", "--remote", $"sc://127.0.0.1:{port}");

        Assert.Equal(SparkCommands.Failed, code);
        Assert.StartsWith($"error: Spark Connect at sc://127.0.0.1:{port} did not answer AnalyzePlan (Unavailable", Assert.Single(Lines(error)), StringComparison.Ordinal);
    }

    private static string PlanText(WriteStreamOperationStart start) => SparkJob.SparkConnect.Plans.PlanJson.Format(start);
}

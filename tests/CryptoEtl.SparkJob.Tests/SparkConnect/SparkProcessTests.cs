using System.Text.Json;
using CryptoEtl.TestSupport;

namespace CryptoEtl.SparkJob.Tests.SparkConnect;

/// <summary>The built CryptoEtl.SparkJob.dll as a user (or the AppHost, or a container) starts it: plan, a bad address, run --engine spark.</summary>
[Collection(SparkProcessCollection.Name)]
public sealed class SparkProcessTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static async Task<(int Code, string Transcript)> RunToEndAsync(params string[] arguments)
    {
        await using var process = ChildProcess.StartDotnet("CryptoEtl.SparkJob.dll", arguments, new Dictionary<string, string> { ["SPARK_REMOTE"] = "" });
        var code = await process.WaitForExitAsync(Timeout);
        await Task.Delay(100, Cancel); // the last lines of output arrive after the exit
        return (code, process.Transcript);
    }

    /// <summary>The JSON the plan command printed: its output without the notes it writes to stderr.</summary>
    private static JsonDocument PlanOutput(string transcript) =>
        JsonDocument.Parse(string.Join('\n', transcript.Split('\n').Where(l => !l.StartsWith("note:", StringComparison.Ordinal))));

    [Fact]
    public async Task The_plan_command_prints_every_querys_plan_as_json_without_a_cluster()
    {
        var (code, transcript) = await RunToEndAsync("plan", "--checkpoint", "/checkpoints");

        Assert.True(code == 0, transcript);
        using var plans = PlanOutput(transcript);
        var queries = plans.RootElement.EnumerateArray().ToList();
        Assert.Equal(["cryptoetl-ticks", "cryptoetl-candles-1m", "cryptoetl-candles-5m", "cryptoetl-candles-1h", "cryptoetl-alerts", "cryptoetl-deadletters"],
            queries.Select(q => q.GetProperty("name").GetString()));
        foreach (var query in queries)
        {
            var start = query.GetProperty("plan").GetProperty("command").GetProperty("write_stream_operation_start");
            Assert.Equal(query.GetProperty("name").GetString(), start.GetProperty("query_name").GetString());
            Assert.Equal("kafka", start.GetProperty("format").GetString());
            Assert.StartsWith("/checkpoints/", start.GetProperty("options").GetProperty("checkpointLocation").GetString(), StringComparison.Ordinal);
        }

        Assert.Contains("note: the schema ids in these plans are placeholders (0)", transcript, StringComparison.Ordinal);
        Assert.Contains("note: Kafka is the placeholder kafka:9092", transcript, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_plan_command_prints_one_query_and_uses_the_configured_kafka()
    {
        var (code, transcript) = await RunToEndAsync("plan", "--query", "alerts", "--ConnectionStrings:kafka=broker-1:9092,broker-2:9092");

        Assert.True(code == 0, transcript);
        using var plans = PlanOutput(transcript);
        var query = Assert.Single(plans.RootElement.EnumerateArray());
        Assert.Equal("cryptoetl-alerts", query.GetProperty("name").GetString());
        Assert.Contains("\"kafka.bootstrap.servers\": \"broker-1:9092,broker-2:9092\"", transcript, StringComparison.Ordinal);
        Assert.DoesNotContain("Kafka is the placeholder", transcript, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_query_is_refused_with_the_list_of_queries()
    {
        var (code, transcript) = await RunToEndAsync("plan", "--query", "nope");

        Assert.Equal(2, code);
        Assert.Equal("error: no query 'nope'; the queries are cryptoetl-ticks, cryptoetl-candles-1m, cryptoetl-candles-5m, cryptoetl-candles-1h, cryptoetl-alerts, cryptoetl-deadletters.",
            transcript.Trim());
    }

    [Fact]
    public async Task A_malformed_remote_is_one_line_on_stderr_and_a_non_zero_exit_code()
    {
        var (code, transcript) = await RunToEndAsync("submit", "--remote", "spark:15002");

        Assert.Equal(2, code);
        Assert.Equal("error: Spark:Remote: Invalid Spark Connect address 'spark:15002': the scheme must be sc://. Expected sc://host[:port][/;name=value;...].",
            transcript.Trim());
    }

    [Fact]
    public async Task Run_with_the_spark_engine_refuses_bad_settings_in_one_line_each_before_starting()
    {
        var (code, transcript) = await RunToEndAsync("run", "--engine", "spark", "--Spark:Remote=sc://spark:15002/path", "--Transform:Intervals=2m,3m");

        Assert.Equal(2, code);
        Assert.Equal(
            [
                "error: Spark:Remote: Invalid Spark Connect address 'sc://spark:15002/path': the path must be empty (got '/path'); parameters follow as /;name=value. Expected sc://host[:port][/;name=value;...].",
                "error: Transform:Intervals: the Spark engine needs every interval to divide the longest (3m); 2m does not.",
            ],
            transcript.Trim().Split('\n'));
    }

    [Fact]
    public async Task Run_with_the_spark_engine_waits_with_growing_delays_for_a_Spark_that_is_not_up_yet_then_submits()
    {
        var port = FreePorts.Next();
        await using var infrastructure = await EmbeddedInfrastructure.StartAsync(createPipelineTopics: false);
        await using var job = ChildProcess.StartDotnet("CryptoEtl.SparkJob.dll",
        [
            "run", "--engine", "spark",
            $"--Spark:Remote=sc://127.0.0.1:{port}",
            "--ConnectionStrings:kafka=kafka:29092",
            $"--ConnectionStrings:schema-registry={infrastructure.RegistryUrl}",
            "--urls=http://127.0.0.1:0",
            "--Logging:LogLevel:Default=Information",
        ]);

        await job.WaitForLineAsync(@"Could not submit the queries yet \(retrying in 00:00:01\): ", Timeout, Cancel);
        await job.WaitForLineAsync(@"Could not submit the queries yet \(retrying in 00:00:02\): ", Timeout, Cancel);
        await using var server = await FakeSparkConnectServer.StartAsync(port);

        await job.WaitForLineAsync("Query cryptoetl-deadletters started: id ", Timeout, Cancel);
        await job.WaitForLineAsync("Query cryptoetl-alerts: Waiting for data to arrive", Timeout, Cancel);
        Assert.Equal(6, server.Spark.ActiveQueries.Count);
        job.Interrupt();
        Assert.Equal(0, await job.WaitForExitAsync(Timeout));
    }

    [Fact]
    public async Task Run_with_the_spark_engine_submits_reports_restarts_a_failed_query_and_leaves_the_queries_running_unless_asked_to_stop_them()
    {
        await using var server = await FakeSparkConnectServer.StartAsync();
        await using var infrastructure = await EmbeddedInfrastructure.StartAsync(createPipelineTopics: false);
        string[] Arguments(params string[] extra) =>
        [
            "run", "--engine", "spark", .. extra,
            $"--Spark:Remote={server.Remote}",
            "--Spark:StatusInterval=00:00:01",
            "--ConnectionStrings:kafka=kafka:29092",
            $"--ConnectionStrings:schema-registry={infrastructure.RegistryUrl}",
            "--urls=http://127.0.0.1:0",
            "--Logging:LogLevel:Default=Information",
        ];

        await using (var first = ChildProcess.StartDotnet("CryptoEtl.SparkJob.dll", Arguments()))
        {
            await first.WaitForLineAsync("Query cryptoetl-deadletters started: id ", Timeout, Cancel);
            await first.WaitForLineAsync("Query cryptoetl-alerts: Waiting for data to arrive; no progress yet", Timeout, Cancel);
            server.Spark.Fail("cryptoetl-alerts", "org.apache.spark.SparkException: boom");
            await first.WaitForLineAsync("Query cryptoetl-alerts is not running: org.apache.spark.SparkException: boom", Timeout, Cancel);
            await first.WaitForLineAsync("Restarting the queries that are not running: cryptoetl-alerts", Timeout, Cancel);
            await first.WaitForLineAsync("Query cryptoetl-alerts started: id ", Timeout, Cancel);
            first.Interrupt();
            Assert.Equal(0, await first.WaitForExitAsync(Timeout));
        }

        Assert.Equal(6, server.Spark.ActiveQueries.Count);

        await using (var second = ChildProcess.StartDotnet("CryptoEtl.SparkJob.dll", Arguments("--stop-on-exit")))
        {
            await second.WaitForLineAsync("Query cryptoetl-ticks is already active .*; not started again", Timeout, Cancel);
            await second.WaitForLineAsync("Query cryptoetl-ticks: Waiting for data to arrive", Timeout, Cancel);
            second.Interrupt();
            Assert.Equal(0, await second.WaitForExitAsync(Timeout));
            Assert.Contains("Stopped query cryptoetl-alerts (--stop-on-exit)", second.Transcript, StringComparison.Ordinal);
        }

        Assert.Empty(server.Spark.ActiveQueries);
        Assert.Equal(7, server.Spark.Queries.Count); // six, and the restart of the one that failed: nothing ran twice at once
    }
}

/// <summary>
/// Child processes on their own: on a 2-core machine they would otherwise compete with the local executor's timing-sensitive
/// process tests running in parallel.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SparkProcessCollection
{
    public const string Name = "Spark Connect child processes";
}

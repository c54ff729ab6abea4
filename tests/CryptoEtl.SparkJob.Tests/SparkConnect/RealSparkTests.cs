using CryptoEtl.SparkJob.SparkConnect;
using CryptoEtl.SparkJob.SparkConnect.Plans;
using CryptoEtl.SparkJob.SparkConnect.Protocol;
using CryptoEtl.SparkJob.SparkConnect.Streaming;
using CryptoEtl.SparkJob.Transform;

namespace CryptoEtl.SparkJob.Tests.SparkConnect;

/// <summary>
/// Against a real Spark Connect server, when SPARK_REMOTE names one (e.g. sc://localhost:15002 with the apache/spark image
/// running start-connect-server.sh with the spark-sql-kafka and spark-avro packages); skipped, with the reason, otherwise.
/// Each test uses a session of its own, so it never sees or touches the job's queries.
/// </summary>
public sealed class RealSparkTests
{
    private const string Unset = "SPARK_REMOTE is not set, so there is no Spark Connect server to test against. Set it to run these tests, e.g. "
        + "SPARK_REMOTE=sc://localhost:15002 with apache/spark running /opt/spark/sbin/start-connect-server.sh --packages "
        + "org.apache.spark:spark-sql-kafka-0-10_2.13:<version>,org.apache.spark:spark-avro_2.13:<version> (docs/spark-connect.md).";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static SparkConnectSession Connect()
    {
        var remote = Environment.GetEnvironmentVariable(SparkOptions.RemoteVariable);
        Assert.SkipWhen(string.IsNullOrWhiteSpace(remote), Unset);
        return SparkConnectSession.Connect(SparkRemote.Parse(remote) with { SessionId = Guid.NewGuid() });
    }

    [Fact]
    public async Task A_real_Spark_answers_version_and_config_and_starts_reports_and_stops_a_streaming_query()
    {
        using var session = Connect();

        var version = await session.SparkVersionAsync(Cancel);
        await session.SetConfigAsync([new("spark.sql.shuffle.partitions", "3")], Cancel);
        var config = await session.GetConfigAsync(["spark.sql.shuffle.partitions"], Cancel);

        Assert.Matches(@"^[34]\.", version);
        Assert.Equal("3", config["spark.sql.shuffle.partitions"]);

        var name = $"cryptoetl-real-spark-test-{Guid.NewGuid():N}";
        var start = new WriteStreamOperationStart
        {
            Input = Relations.ReadStream("rate", new Dictionary<string, string> { ["rowsPerSecond"] = "5" }),
            Format = "noop",
            OutputMode = "append",
            QueryName = name,
            ProcessingTimeInterval = "1 second",
            Options = { ["checkpointLocation"] = $"/tmp/{name}" },
        };
        var queries = new StreamingQueries(session);
        var query = await queries.StartAsync(new Plan { Command = new Command { WriteStreamOperationStart = start } }, Cancel);
        try
        {
            Assert.Contains(await queries.ActiveAsync(Cancel), q => q.Name == name && q.Id == query.Id);
            Assert.True((await queries.StatusAsync(query.Id, Cancel)).IsActive);
        }
        finally
        {
            await queries.StopAsync(query.Id, Cancel);
        }

        Assert.DoesNotContain(await queries.ActiveAsync(Cancel), q => q.Name == name);
    }

    [Fact]
    public async Task A_real_Spark_resolves_every_plan_of_the_job()
    {
        using var session = Connect();
        var queries = new TransformPlans(new TransformOptions(), new SparkOptions(), "localhost:9092", SparkSchemas.Placeholders()).Queries();

        foreach (var query in queries)
        {
            // Analysis resolves every column, function (from_avro, to_avro, window, the SQL text) and type without reading Kafka.
            var schema = await session.AnalyzeSchemaAsync(query.Plan.Command.WriteStreamOperationStart.Input, Cancel);
            Assert.Equal(["key", "value"], schema.Struct.Fields.Select(f => f.Name));
        }
    }

    [Fact]
    public async Task A_real_Spark_refuses_a_bad_plan_with_its_own_message()
    {
        using var session = Connect();
        var relation = Relations.ReadStream("rate", new Dictionary<string, string>()).Select(Sql.Col("no_such_column"));

        var error = await Assert.ThrowsAsync<SparkConnectException>(() => session.AnalyzeSchemaAsync(relation, Cancel));

        Assert.True(error.FromSpark);
        Assert.Contains("no_such_column", error.Message, StringComparison.Ordinal);
    }
}

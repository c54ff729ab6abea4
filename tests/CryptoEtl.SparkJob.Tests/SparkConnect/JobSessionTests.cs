using CryptoEtl.SparkJob.SparkConnect;
using CryptoEtl.SparkJob.SparkConnect.Jobs;
using CryptoEtl.SparkJob.SparkConnect.Protocol;
using Microsoft.Extensions.Logging.Abstractions;

namespace CryptoEtl.SparkJob.Tests.SparkConnect;

/// <summary>The job's fixed session id, and what happens once Spark has closed that session.</summary>
public sealed class JobSessionTests : IAsyncLifetime
{
    private FakeSparkConnectServer _server = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _server = await FakeSparkConnectServer.StartAsync();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public void Generation_zero_is_the_configured_id_and_later_generations_are_stable_distinct_uuids()
    {
        var configured = SparkRemote.DefaultSessionId;

        var generations = Enumerable.Range(0, 50).Select(g => JobSession.Generation(configured, g)).ToList();

        Assert.Equal(configured, generations[0]);
        Assert.Equal(50, generations.Distinct().Count());
        Assert.Equal(generations, Enumerable.Range(0, 50).Select(g => JobSession.Generation(configured, g)));
        Assert.All(generations.Skip(1), g => Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$", g.ToString("D")));
    }

    [Fact]
    public async Task The_configured_session_is_used_while_Spark_has_not_closed_it()
    {
        var (session, version) = await JobSession.OpenAsync(SparkRemote.Parse(_server.Remote), NullLogger.Instance, Cancel);
        using (session)
        {
            Assert.Equal((SparkRemote.DefaultSessionId.ToString(), "3.5.3"), (session.SessionId, version));
        }
    }

    [Fact]
    public async Task A_session_Spark_closed_moves_to_the_first_generation_it_has_not_closed()
    {
        _server.Spark.CloseSession(SparkRemote.DefaultSessionId.ToString());
        _server.Spark.CloseSession(JobSession.Generation(SparkRemote.DefaultSessionId, 1).ToString());

        var (session, _) = await JobSession.OpenAsync(SparkRemote.Parse(_server.Remote), NullLogger.Instance, Cancel);
        using (session)
        {
            Assert.Equal(JobSession.Generation(SparkRemote.DefaultSessionId, 2).ToString(), session.SessionId);
        }

        Assert.Equal(3, _server.Spark.Requests<AnalyzePlanRequest>().Count);
    }
}

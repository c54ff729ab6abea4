using CryptoEtl.SparkJob.SparkConnect;
using CryptoEtl.SparkJob.SparkConnect.Protocol;
using Grpc.Core;

namespace CryptoEtl.SparkJob.Tests.SparkConnect;

/// <summary>The Spark Connect client against the fake server: what it sends, and how it reads answers, errors and broken streams.</summary>
public sealed class SparkConnectSessionTests : IAsyncLifetime
{
    private FakeSparkConnectServer _server = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private FakeSpark Spark => _server.Spark;

    public async ValueTask InitializeAsync() => _server = await FakeSparkConnectServer.StartAsync();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private SparkConnectSession Connect(string parameters = "") => SparkConnectSession.Connect(SparkRemote.Parse(_server.Remote + parameters));

    private static Plan ActiveQueries() => new() { Command = new Command { StreamingQueryManagerCommand = new StreamingQueryManagerCommand { Active = true } } };

    private static ExecutePlanResponse Active(string name) => new()
    {
        StreamingQueryManagerCommandResult = new StreamingQueryManagerCommandResult
        {
            Active = new StreamingQueryManagerCommandResult.Types.ActiveResult
            {
                ActiveQueries = { new StreamingQueryManagerCommandResult.Types.StreamingQueryInstance { Id = new StreamingQueryInstanceId { Id = name, RunId = "r" }, Name = name } },
            },
        },
    };

    [Fact]
    public async Task Every_call_carries_one_constant_uuid_session_id_the_user_context_and_the_client_type()
    {
        using var session = Connect();

        await session.SparkVersionAsync(Cancel);
        await session.SetConfigAsync([new("spark.sql.shuffle.partitions", "6")], Cancel);
        await session.ExecuteAsync(ActiveQueries(), Cancel);
        await session.ExecuteAsync(ActiveQueries(), Cancel);

        var identities = Spark.Calls.Select(c => c.Request switch
        {
            AnalyzePlanRequest r => (r.SessionId, r.UserContext.UserId, r.ClientType),
            ConfigRequest r => (r.SessionId, r.UserContext.UserId, r.ClientType),
            ExecutePlanRequest r => (r.SessionId, r.UserContext.UserId, r.ClientType),
            ReleaseExecuteRequest r => (r.SessionId, r.UserContext.UserId, r.ClientType),
            _ => throw new InvalidOperationException($"unexpected {c.Method}"),
        }).ToList();
        Assert.Equal(6, identities.Count); // version, config, and two executions each released
        var sessionId = Assert.Single(identities.Select(i => i.SessionId).Distinct());
        Assert.True(Guid.TryParseExact(sessionId, "D", out _), $"'{sessionId}' is not a UUID");
        Assert.Equal(SparkRemote.DefaultSessionId.ToString(), sessionId);
        Assert.All(identities, i => Assert.Equal(("cryptoetl", "cryptoetl/1.0"), (i.UserId, i.ClientType)));
    }

    [Fact]
    public async Task The_address_parameters_set_the_session_the_user_the_client_type_and_extra_headers()
    {
        var sessionId = Guid.NewGuid();
        using var session = Connect($"/;session_id={sessionId};user_id=etl-bot;user_agent=nightly%20run;x-tenant=blue");

        await session.SparkVersionAsync(Cancel);

        var call = Assert.Single(Spark.Calls);
        var request = Assert.IsType<AnalyzePlanRequest>(call.Request);
        Assert.Equal((sessionId.ToString(), "etl-bot", "nightly run"), (request.SessionId, request.UserContext.UserId, request.ClientType));
        Assert.Equal("blue", call.Headers["x-tenant"]);
        Assert.False(call.Headers.ContainsKey("authorization"));
    }

    [Fact]
    public async Task Config_set_sends_the_pairs_and_get_reads_them_back_with_null_for_unset_keys()
    {
        using var session = Connect();

        await session.SetConfigAsync([new("spark.sql.shuffle.partitions", "6"), new("spark.sql.session.timeZone", "UTC")], Cancel);
        var values = await session.GetConfigAsync(["spark.sql.session.timeZone", "spark.unset.key"], Cancel);

        var set = Spark.Requests<ConfigRequest>()[0].Operation.Set;
        Assert.Equal(["spark.sql.shuffle.partitions=6", "spark.sql.session.timeZone=UTC"], set.Pairs.Select(p => $"{p.Key}={p.Value}"));
        Assert.Equal("UTC", values["spark.sql.session.timeZone"]);
        Assert.Null(values["spark.unset.key"]);
    }

    [Fact]
    public async Task Execute_asks_for_a_reattachable_execution_reads_to_result_complete_and_releases_it()
    {
        Spark.OnExecute = _ => new ExecuteScript([Active("a"), Active("b")], StreamEnd.ResultComplete);
        using var session = Connect();

        var responses = await session.ExecuteAsync(ActiveQueries(), Cancel);

        Assert.Equal(["a", "b"], responses.Select(r => r.StreamingQueryManagerCommandResult.Active.ActiveQueries[0].Name));
        var request = Assert.Single(Spark.Requests<ExecutePlanRequest>());
        Assert.True(FakeSpark.Reattachable(request));
        Assert.True(Guid.TryParse(request.OperationId, out _));
        var release = Assert.Single(Spark.Requests<ReleaseExecuteRequest>());
        Assert.Equal((request.OperationId, ReleaseExecuteRequest.ReleaseOneofCase.ReleaseAll), (release.OperationId, release.ReleaseCase));
    }

    [Fact]
    public async Task A_Spark_error_surfaces_with_Sparks_message_error_class_and_exception_class()
    {
        Spark.OnExecute = _ => ExecuteScript.Fail(FakeSparkConnectServer.SparkError(
            "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column with name `pricee` cannot be resolved.", errorClass: "UNRESOLVED_COLUMN.WITH_SUGGESTION"));
        using var session = Connect();

        var error = await Assert.ThrowsAsync<SparkConnectException>(() => session.ExecuteAsync(ActiveQueries(), Cancel));

        Assert.Equal("[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column with name `pricee` cannot be resolved.", error.Message);
        Assert.Equal(("UNRESOLVED_COLUMN.WITH_SUGGESTION", "42000", "org.apache.spark.sql.AnalysisException"), (error.ErrorClass, error.SqlState, error.ServerException));
        Assert.Equal(StatusCode.Internal, error.StatusCode);
        Assert.True(error.FromSpark);
    }

    [Fact]
    public async Task The_full_error_comes_from_FetchErrorDetails_when_Spark_offers_an_error_id()
    {
        Spark.OnExecute = _ => ExecuteScript.Fail(FakeSparkConnectServer.SparkError("[STREAM_FAILED] Query terminated with exception: ...", errorId: "e-42"));
        Spark.OnErrorDetails = request => new FetchErrorDetailsResponse
        {
            RootErrorIdx = 0,
            Errors =
            {
                new FetchErrorDetailsResponse.Types.Error
                {
                    Message = $"[STREAM_FAILED] Query terminated with exception: the whole story ({request.ErrorId})",
                    SparkThrowable = new FetchErrorDetailsResponse.Types.SparkThrowable { ErrorClass = "STREAM_FAILED" },
                },
            },
        };
        using var session = Connect();

        var error = await Assert.ThrowsAsync<SparkConnectException>(() => session.ExecuteAsync(ActiveQueries(), Cancel));

        Assert.Equal("[STREAM_FAILED] Query terminated with exception: the whole story (e-42)", error.Message);
        Assert.Equal("STREAM_FAILED", error.ErrorClass);
    }

    [Fact]
    public async Task Without_FetchErrorDetails_as_on_Spark_3_5_the_status_message_is_used()
    {
        Spark.OnExecute = _ => ExecuteScript.Fail(FakeSparkConnectServer.SparkError("Streaming query q is not found", "java.lang.IllegalArgumentException", errorId: "e-1"));
        using var session = Connect();

        var error = await Assert.ThrowsAsync<SparkConnectException>(() => session.ExecuteAsync(ActiveQueries(), Cancel));

        Assert.Equal("Streaming query q is not found", error.Message);
        Assert.Single(Spark.Requests<FetchErrorDetailsRequest>());
    }

    [Fact]
    public async Task A_stream_that_breaks_midway_fails_clearly_instead_of_returning_part_of_the_answer()
    {
        Spark.OnExecute = _ => new ExecuteScript([Active("a")], StreamEnd.Break);
        using var session = Connect();

        var error = await Assert.ThrowsAsync<SparkConnectException>(() => session.ExecuteAsync(ActiveQueries(), Cancel));

        Assert.StartsWith("The ExecutePlan stream of operation ", error.Message, StringComparison.Ordinal);
        Assert.Contains("broke after 1 response(s), before result_complete", error.Message, StringComparison.Ordinal);
        Assert.False(error.FromSpark);
        Assert.IsType<RpcException>(error.InnerException);
    }

    [Fact]
    public async Task A_stream_that_ends_without_result_complete_is_reattached_after_its_last_response()
    {
        var first = Active("a");
        first.ResponseId = Guid.NewGuid().ToString();
        Spark.OnExecute = _ => new ExecuteScript([first], StreamEnd.Close);
        Spark.OnReattach = _ => new ExecuteScript([Active("b")], StreamEnd.ResultComplete);
        using var session = Connect();

        var responses = await session.ExecuteAsync(ActiveQueries(), Cancel);

        Assert.Equal(["a", "b"], responses.Select(r => r.StreamingQueryManagerCommandResult.Active.ActiveQueries[0].Name));
        var reattach = Assert.Single(Spark.Requests<ReattachExecuteRequest>());
        Assert.Equal((Spark.Requests<ExecutePlanRequest>()[0].OperationId, first.ResponseId), (reattach.OperationId, reattach.LastResponseId));
        Assert.Equal(SparkRemote.DefaultSessionId.ToString(), reattach.SessionId);
    }

    [Fact]
    public async Task A_stream_that_keeps_ending_without_result_complete_fails_clearly()
    {
        Spark.OnExecute = _ => new ExecuteScript([Active("a")], StreamEnd.Close);
        Spark.OnReattach = _ => new ExecuteScript([], StreamEnd.Close);
        using var session = Connect();

        var error = await Assert.ThrowsAsync<SparkConnectException>(() => session.ExecuteAsync(ActiveQueries(), Cancel));

        Assert.Contains("ended without result_complete 4 time(s) (after 1 response(s)), so Spark's answer is incomplete", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, Spark.Requests<ReattachExecuteRequest>().Count);
        Assert.Empty(Spark.Requests<ReleaseExecuteRequest>());
    }

    [Fact]
    public async Task A_server_that_does_not_answer_fails_with_its_address()
    {
        var port = _server.Port;
        await _server.DisposeAsync();
        _server = await FakeSparkConnectServer.StartAsync();
        using var session = SparkConnectSession.Connect(SparkRemote.Parse($"sc://127.0.0.1:{port}"));

        var error = await Assert.ThrowsAsync<SparkConnectException>(() => session.SparkVersionAsync(Cancel));

        Assert.StartsWith($"Spark Connect at sc://127.0.0.1:{port} did not answer AnalyzePlan (Unavailable", error.Message, StringComparison.Ordinal);
        Assert.False(error.FromSpark);
    }
}

using System.Collections.Concurrent;
using System.Net;
using CryptoEtl.DevServices.Hosting;
using CryptoEtl.SparkJob.SparkConnect.Protocol;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RpcErrorInfo = CryptoEtl.SparkJob.SparkConnect.Protocol.Rpc.ErrorInfo;
using RpcStatus = CryptoEtl.SparkJob.SparkConnect.Protocol.Rpc.Status;

namespace CryptoEtl.SparkJob.Tests.SparkConnect;

/// <summary>
/// A Spark Connect server for tests: gRPC over HTTP/2 without TLS on 127.0.0.1, recording every call. Unless a test scripts
/// an answer, ExecutePlan behaves like one Spark session's streaming query manager (start, active, status, last progress,
/// exception, stop), and ends each reattachable execution with result_complete as Spark does.
/// </summary>
internal sealed class FakeSparkConnectServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeSparkConnectServer(WebApplication app, FakeSpark spark)
    {
        _app = app;
        Spark = spark;
        Port = app.ListeningAddress().Port;
    }

    public FakeSpark Spark { get; }

    public int Port { get; }

    public string Remote => $"sc://127.0.0.1:{Port}";

    /// <param name="port">A port to listen on (0: any free one).</param>
    public static async Task<FakeSparkConnectServer> StartAsync(int port = 0)
    {
        var spark = new FakeSpark();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(spark);
        var app = builder.Build();
        app.MapGrpcService<FakeSparkConnectService>();
        await app.StartAsync();
        return new FakeSparkConnectServer(app, spark);
    }

    /// <summary>An error as Spark sends one: INTERNAL, the message, and a google.rpc.Status with an ErrorInfo in grpc-status-details-bin.</summary>
    public static RpcException SparkError(string message, string exceptionClass = "org.apache.spark.sql.AnalysisException",
        string? errorClass = null, string? errorId = null)
    {
        var info = new RpcErrorInfo { Reason = exceptionClass, Domain = "org.apache.spark" };
        info.Metadata["classes"] = $"[\"{exceptionClass}\"]";
        if (errorClass is not null)
        {
            info.Metadata["errorClass"] = errorClass;
            info.Metadata["sqlState"] = "42000";
        }

        if (errorId is not null)
        {
            info.Metadata["errorId"] = errorId;
        }

        var status = new RpcStatus { Code = (int)StatusCode.Internal, Message = message, Details = { Any.Pack(info) } };
        return new RpcException(new Grpc.Core.Status(StatusCode.Internal, message), new Metadata { { "grpc-status-details-bin", status.ToByteArray() } });
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>How one ExecutePlan or ReattachExecute call answers: these responses, then this ending.</summary>
internal sealed record ExecuteScript(IReadOnlyList<ExecutePlanResponse> Responses, StreamEnd End, RpcException? Error = null)
{
    public static ExecuteScript Fail(RpcException error) => new([], StreamEnd.Error, error);
}

internal enum StreamEnd
{
    /// <summary>result_complete, then the end of the stream (a reattachable execution that is done).</summary>
    ResultComplete,

    /// <summary>The stream ends normally without result_complete (Spark does that when a stream has been open too long).</summary>
    Close,

    /// <summary>The HTTP/2 stream is reset: the connection broke.</summary>
    Break,

    /// <summary>The call fails with <see cref="ExecuteScript.Error"/>.</summary>
    Error,
}

internal sealed record RecordedCall(string Method, IMessage Request, IReadOnlyDictionary<string, string> Headers);

/// <summary>What the fake knows: the calls it got, the session config, the streaming queries; and the test's scripts.</summary>
internal sealed class FakeSpark
{
    private readonly ConcurrentQueue<RecordedCall> _calls = new();
    private readonly Lock _queriesLock = new();
    private readonly List<FakeQuery> _queries = [];

    public ConcurrentDictionary<string, string> Config { get; } = new(StringComparer.Ordinal);

    public string Version { get; set; } = "3.5.3";

    /// <summary>A test's answer to an ExecutePlan (null: the default behaviour).</summary>
    public Func<ExecutePlanRequest, ExecuteScript?>? OnExecute { get; set; }

    /// <summary>A test's answer to a ReattachExecute (null: result_complete).</summary>
    public Func<ReattachExecuteRequest, ExecuteScript?>? OnReattach { get; set; }

    /// <summary>A test's answer to FetchErrorDetails (null: UNIMPLEMENTED, as Spark 3.5 answers).</summary>
    public Func<FetchErrorDetailsRequest, FetchErrorDetailsResponse?>? OnErrorDetails { get; set; }

    /// <summary>Makes the start of a query fail with a Spark error carrying this message (null: start it).</summary>
    public Func<WriteStreamOperationStart, string?>? RefuseStart { get; set; }

    /// <summary>The last progress JSON every query reports (null: none yet).</summary>
    public string? ProgressJson { get; set; }

    public IReadOnlyList<RecordedCall> Calls => [.. _calls];

    public IReadOnlyList<T> Requests<T>() where T : IMessage => [.. _calls.Select(c => c.Request).OfType<T>()];

    public IReadOnlyList<FakeQuery> Queries
    {
        get
        {
            lock (_queriesLock)
            {
                return [.. _queries];
            }
        }
    }

    public IReadOnlyList<FakeQuery> ActiveQueries => [.. Queries.Where(q => q.Active)];

    /// <summary>Sessions Spark closed (expired): it refuses their ids with INVALID_HANDLE.SESSION_CLOSED, as Spark 4 does.</summary>
    public ConcurrentDictionary<string, bool> ClosedSessions { get; } = new(StringComparer.Ordinal);

    /// <summary>Closes a session as Spark does when it expires: its queries stop, its id is refused from then on.</summary>
    public void CloseSession(string sessionId)
    {
        lock (_queriesLock)
        {
            foreach (var query in _queries.Where(q => q.SessionId == sessionId))
            {
                query.Active = false;
            }
        }

        ClosedSessions[sessionId] = true;
    }

    /// <summary>Throws what Spark answers any call on a closed session.</summary>
    public void CheckOpen(string sessionId)
    {
        if (ClosedSessions.ContainsKey(sessionId))
        {
            throw FakeSparkConnectServer.SparkError($"[INVALID_HANDLE.SESSION_CLOSED] The handle {sessionId} is invalid. Session was closed.",
                "org.apache.spark.sql.SparkSQLException", "INVALID_HANDLE.SESSION_CLOSED");
        }
    }

    public void Record(string method, IMessage request, ServerCallContext context) =>
        _calls.Enqueue(new RecordedCall(method, request, context.RequestHeaders.Where(h => !h.IsBinary).ToDictionary(h => h.Key, h => h.Value, StringComparer.Ordinal)));

    /// <summary>Ends a query as if it failed on the cluster.</summary>
    public void Fail(string name, string exception)
    {
        lock (_queriesLock)
        {
            var query = _queries.Single(q => q.Name == name && q.Active);
            query.Active = false;
            query.Exception = exception;
        }
    }

    /// <summary>What Spark's planner and streaming query manager would answer for the command.</summary>
    public ExecuteScript Answer(ExecutePlanRequest request)
    {
        var command = request.Plan?.Command;
        try
        {
            var response = command?.CommandTypeCase switch
            {
                Command.CommandTypeOneofCase.WriteStreamOperationStart => Start(request.SessionId, command.WriteStreamOperationStart),
                Command.CommandTypeOneofCase.StreamingQueryManagerCommand => Manage(request.SessionId, command.StreamingQueryManagerCommand),
                Command.CommandTypeOneofCase.StreamingQueryCommand => Query(command.StreamingQueryCommand),
                _ => throw FakeSparkConnectServer.SparkError($"The fake Spark Connect server does not run {command?.CommandTypeCase.ToString() ?? "relations"}."),
            };
            return new ExecuteScript([response], Reattachable(request) ? StreamEnd.ResultComplete : StreamEnd.Close);
        }
        catch (RpcException e)
        {
            return ExecuteScript.Fail(e);
        }
    }

    public static bool Reattachable(ExecutePlanRequest request) => request.RequestOptions.Any(o => o.ReattachOptions?.Reattachable == true);

    private ExecutePlanResponse Start(string sessionId, WriteStreamOperationStart start)
    {
        if (RefuseStart?.Invoke(start) is { } refusal)
        {
            throw FakeSparkConnectServer.SparkError(refusal, errorClass: "UNRESOLVED_COLUMN.WITH_SUGGESTION");
        }

        lock (_queriesLock)
        {
            if (_queries.Any(q => q.Active && q.SessionId == sessionId && q.Name == start.QueryName))
            {
                throw FakeSparkConnectServer.SparkError($"Cannot start query with name {start.QueryName} as a query with that name is already active in this SparkSession",
                    "java.lang.IllegalArgumentException");
            }

            var previous = _queries.LastOrDefault(q => q.Name == start.QueryName);
            var query = new FakeQuery(previous?.Id ?? Guid.NewGuid().ToString(), Guid.NewGuid().ToString(), start.QueryName, start, sessionId);
            _queries.Add(query);
            return new ExecutePlanResponse
            {
                WriteStreamOperationStartResult = new WriteStreamOperationStartResult
                {
                    QueryId = new StreamingQueryInstanceId { Id = query.Id, RunId = query.RunId },
                    Name = query.Name,
                },
            };
        }
    }

    private ExecutePlanResponse Manage(string sessionId, StreamingQueryManagerCommand command)
    {
        if (command.CommandCase != StreamingQueryManagerCommand.CommandOneofCase.Active)
        {
            throw FakeSparkConnectServer.SparkError($"The fake does not run {command.CommandCase}.");
        }

        var active = new StreamingQueryManagerCommandResult.Types.ActiveResult();
        active.ActiveQueries.AddRange(ActiveQueries.Where(q => q.SessionId == sessionId).Select(q => new StreamingQueryManagerCommandResult.Types.StreamingQueryInstance
        {
            Id = new StreamingQueryInstanceId { Id = q.Id, RunId = q.RunId },
            Name = q.Name,
        }));
        return new ExecutePlanResponse { StreamingQueryManagerCommandResult = new StreamingQueryManagerCommandResult { Active = active } };
    }

    private ExecutePlanResponse Query(StreamingQueryCommand command)
    {
        var query = Queries.LastOrDefault(q => q.Id == command.QueryId.Id)
            ?? throw FakeSparkConnectServer.SparkError($"Streaming query {command.QueryId.Id} is not found", "java.lang.IllegalArgumentException");
        if (query.RunId != command.QueryId.RunId)
        {
            throw FakeSparkConnectServer.SparkError($"Run id mismatch for query id {query.Id}. Run id in the request {command.QueryId.RunId} does not match one on the server {query.RunId}. The query might have restarted.",
                "java.lang.IllegalArgumentException");
        }

        var result = new StreamingQueryCommandResult { QueryId = command.QueryId };
        switch (command.CommandCase)
        {
            case StreamingQueryCommand.CommandOneofCase.Status:
                result.Status = new StreamingQueryCommandResult.Types.StatusResult
                {
                    StatusMessage = query.Active ? "Waiting for data to arrive" : "Stopped",
                    IsActive = query.Active,
                };
                break;
            case StreamingQueryCommand.CommandOneofCase.LastProgress:
                result.RecentProgress = new StreamingQueryCommandResult.Types.RecentProgressResult();
                if (ProgressJson is not null)
                {
                    result.RecentProgress.RecentProgressJson.Add(ProgressJson);
                }

                break;
            case StreamingQueryCommand.CommandOneofCase.Exception:
                result.Exception = new StreamingQueryCommandResult.Types.ExceptionResult();
                if (query.Exception is not null)
                {
                    result.Exception.ExceptionMessage = query.Exception;
                }

                break;
            case StreamingQueryCommand.CommandOneofCase.Stop:
                lock (_queriesLock)
                {
                    query.Active = false;
                }

                break;
            default:
                throw FakeSparkConnectServer.SparkError($"The fake does not run {command.CommandCase}.");
        }

        return new ExecutePlanResponse { StreamingQueryCommandResult = result };
    }
}

internal sealed class FakeQuery(string id, string runId, string name, WriteStreamOperationStart start, string sessionId)
{
    public string SessionId { get; } = sessionId;

    public string Id { get; } = id;

    public string RunId { get; } = runId;

    public string Name { get; } = name;

    public WriteStreamOperationStart Start { get; } = start;

    public bool Active { get; set; } = true;

    public string? Exception { get; set; }
}

internal sealed class FakeSparkConnectService(FakeSpark spark) : SparkConnectService.SparkConnectServiceBase
{
    public override async Task ExecutePlan(ExecutePlanRequest request, IServerStreamWriter<ExecutePlanResponse> responseStream, ServerCallContext context)
    {
        spark.Record(nameof(ExecutePlan), request, context);
        spark.CheckOpen(request.SessionId);
        var script = spark.OnExecute?.Invoke(request) ?? spark.Answer(request);
        await PlayAsync(script, request.SessionId, request.OperationId, responseStream, context);
    }

    public override async Task ReattachExecute(ReattachExecuteRequest request, IServerStreamWriter<ExecutePlanResponse> responseStream, ServerCallContext context)
    {
        spark.Record(nameof(ReattachExecute), request, context);
        spark.CheckOpen(request.SessionId);
        var script = spark.OnReattach?.Invoke(request) ?? new ExecuteScript([], StreamEnd.ResultComplete);
        await PlayAsync(script, request.SessionId, request.OperationId, responseStream, context);
    }

    public override Task<ReleaseExecuteResponse> ReleaseExecute(ReleaseExecuteRequest request, ServerCallContext context)
    {
        spark.Record(nameof(ReleaseExecute), request, context);
        return Task.FromResult(new ReleaseExecuteResponse { SessionId = request.SessionId, OperationId = request.OperationId });
    }

    public override Task<ConfigResponse> Config(ConfigRequest request, ServerCallContext context)
    {
        spark.Record(nameof(Config), request, context);
        spark.CheckOpen(request.SessionId);
        var response = new ConfigResponse { SessionId = request.SessionId };
        var operation = request.Operation;
        switch (operation.OpTypeCase)
        {
            case ConfigRequest.Types.Operation.OpTypeOneofCase.Set:
                foreach (var pair in operation.Set.Pairs)
                {
                    spark.Config[pair.Key] = pair.Value;
                }

                break;
            case ConfigRequest.Types.Operation.OpTypeOneofCase.GetOption:
                response.Pairs.AddRange(operation.GetOption.Keys.Select(k => spark.Config.TryGetValue(k, out var v) ? new KeyValue { Key = k, Value = v } : new KeyValue { Key = k }));
                break;
            default:
                throw FakeSparkConnectServer.SparkError($"The fake does not run config {operation.OpTypeCase}.");
        }

        return Task.FromResult(response);
    }

    public override Task<AnalyzePlanResponse> AnalyzePlan(AnalyzePlanRequest request, ServerCallContext context)
    {
        spark.Record(nameof(AnalyzePlan), request, context);
        spark.CheckOpen(request.SessionId);
        return request.AnalyzeCase == AnalyzePlanRequest.AnalyzeOneofCase.SparkVersion
            ? Task.FromResult(new AnalyzePlanResponse { SessionId = request.SessionId, SparkVersion = new AnalyzePlanResponse.Types.SparkVersion { Version = spark.Version } })
            : throw FakeSparkConnectServer.SparkError($"The fake does not analyze {request.AnalyzeCase}.");
    }

    public override Task<FetchErrorDetailsResponse> FetchErrorDetails(FetchErrorDetailsRequest request, ServerCallContext context)
    {
        spark.Record(nameof(FetchErrorDetails), request, context);
        return spark.OnErrorDetails?.Invoke(request) is { } response
            ? Task.FromResult(response)
            : throw new RpcException(new Grpc.Core.Status(StatusCode.Unimplemented, "Method is unimplemented."));
    }

    private static async Task PlayAsync(ExecuteScript script, string sessionId, string operationId, IServerStreamWriter<ExecutePlanResponse> stream, ServerCallContext context)
    {
        foreach (var response in script.Responses)
        {
            await stream.WriteAsync(Stamp(response.Clone(), sessionId, operationId));
        }

        switch (script.End)
        {
            case StreamEnd.ResultComplete:
                await stream.WriteAsync(Stamp(new ExecutePlanResponse { ResultComplete = new ExecutePlanResponse.Types.ResultComplete() }, sessionId, operationId));
                break;
            case StreamEnd.Break:
                await Task.Delay(50, context.CancellationToken); // let the responses already written reach the client first
                context.GetHttpContext().Abort();
                break;
            case StreamEnd.Error:
                throw script.Error!;
            case StreamEnd.Close:
            default:
                break;
        }
    }

    private static ExecutePlanResponse Stamp(ExecutePlanResponse response, string sessionId, string operationId)
    {
        response.SessionId = sessionId;
        response.OperationId = operationId;
        if (response.ResponseId.Length == 0)
        {
            response.ResponseId = Guid.NewGuid().ToString();
        }

        return response;
    }
}

using CryptoEtl.SparkJob.SparkConnect.Protocol;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace CryptoEtl.SparkJob.SparkConnect;

/// <summary>
/// One Spark Connect session: every request carries the same session id (a UUID), user context and client type, which is
/// how the server finds the session (the first request creates it). Plans run through <see cref="ExecuteAsync"/>, which
/// asks for a reattachable execution so that the server ends a complete answer with result_complete.
/// </summary>
public sealed class SparkConnectSession : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly SparkConnectService.SparkConnectServiceClient _client;
    private readonly Metadata _headers;
    private readonly ILogger _logger;

    private SparkConnectSession(SparkRemote remote, GrpcChannel channel, ILogger logger)
    {
        Remote = remote;
        SessionId = remote.SessionId.ToString("D");
        _channel = channel;
        _client = new SparkConnectService.SparkConnectServiceClient(channel);
        _logger = logger;
        _headers = [];
        foreach (var (name, value) in remote.Headers)
        {
            _headers.Add(name, value);
        }

        if (remote.Token is { } token)
        {
            _headers.Add("authorization", $"Bearer {token}");
        }
    }

    public SparkRemote Remote { get; }

    public string SessionId { get; }

    public string ClientType => Remote.ClientType;

    /// <summary>How often a stream that ended without result_complete is resumed with ReattachExecute before giving up.</summary>
    public int MaxReattachAttempts { get; init; } = 3;

    /// <summary>Deadline of each call (the commands this job sends are short; a stuck server must not hang a poll loop).</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromMinutes(2);

    public static SparkConnectSession Connect(SparkRemote remote, ILogger? logger = null, HttpMessageHandler? handler = null)
    {
        var channel = GrpcChannel.ForAddress(remote.Endpoint, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = remote.MaxMessageSize,
            MaxSendMessageSize = remote.MaxMessageSize,
            HttpHandler = handler ?? new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                KeepAlivePingDelay = TimeSpan.FromSeconds(30),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(20),
                ConnectTimeout = TimeSpan.FromSeconds(15),
            },
            DisposeHttpClient = true,
        });
        return new SparkConnectSession(remote, channel, logger ?? NullLogger.Instance);
    }

    /// <summary>
    /// Runs a plan and returns every response up to result_complete (which is not included). A stream that ends without
    /// it is resumed from the last response with ReattachExecute; a stream that breaks, or keeps ending early, fails.
    /// </summary>
    public async Task<IReadOnlyList<ExecutePlanResponse>> ExecuteAsync(Plan plan, CancellationToken cancellation)
    {
        var operationId = Guid.NewGuid().ToString("D");
        var request = new ExecutePlanRequest
        {
            SessionId = SessionId,
            UserContext = UserContext(),
            ClientType = ClientType,
            OperationId = operationId,
            Plan = plan,
            RequestOptions = { new ExecutePlanRequest.Types.RequestOption { ReattachOptions = new ReattachOptions { Reattachable = true } } },
        };

        var responses = new List<ExecutePlanResponse>();
        var progress = new StreamProgress();
        using (var call = _client.ExecutePlan(request, _headers, Deadline(), cancellation))
        {
            await ReadAsync(call.ResponseStream, operationId, responses, progress, cancellation);
        }

        for (var attempt = 1; !progress.Complete; attempt++)
        {
            if (attempt > MaxReattachAttempts)
            {
                throw new SparkConnectException($"The ExecutePlan stream of operation {operationId} ended without result_complete "
                    + $"{attempt} time(s) (after {responses.Count} response(s)), so Spark's answer is incomplete; giving up.");
            }

            _logger.Reattaching(operationId, progress.LastResponseId ?? "(none)", attempt);
            var reattach = new ReattachExecuteRequest
            {
                SessionId = SessionId,
                UserContext = UserContext(),
                ClientType = ClientType,
                OperationId = operationId,
            };
            if (progress.LastResponseId is { } last)
            {
                reattach.LastResponseId = last;
            }

            using var call = _client.ReattachExecute(reattach, _headers, Deadline(), cancellation);
            await ReadAsync(call.ResponseStream, operationId, responses, progress, cancellation);
        }

        await ReleaseAsync(operationId, cancellation);
        return responses;
    }

    /// <summary>Sets session configuration (spark.sql.* settings apply to queries started afterwards in this session).</summary>
    public async Task SetConfigAsync(IEnumerable<KeyValuePair<string, string>> settings, CancellationToken cancellation)
    {
        var set = new ConfigRequest.Types.Set();
        set.Pairs.AddRange(settings.Select(s => new KeyValue { Key = s.Key, Value = s.Value }));
        var response = await ConfigAsync(new ConfigRequest.Types.Operation { Set = set }, cancellation);
        foreach (var warning in response.Warnings)
        {
            _logger.ConfigWarning(warning);
        }
    }

    /// <summary>Reads session configuration; a key that is not set comes back as null.</summary>
    public async Task<IReadOnlyDictionary<string, string?>> GetConfigAsync(IEnumerable<string> keys, CancellationToken cancellation)
    {
        var get = new ConfigRequest.Types.GetOption();
        get.Keys.AddRange(keys);
        var response = await ConfigAsync(new ConfigRequest.Types.Operation { GetOption = get }, cancellation);
        return response.Pairs.ToDictionary(p => p.Key, p => p.HasValue ? p.Value : null, StringComparer.Ordinal);
    }

    /// <summary>The server's Spark version (also a cheap way to check that the server answers).</summary>
    public async Task<string> SparkVersionAsync(CancellationToken cancellation)
    {
        var request = new AnalyzePlanRequest
        {
            SessionId = SessionId,
            UserContext = UserContext(),
            ClientType = ClientType,
            SparkVersion = new AnalyzePlanRequest.Types.SparkVersion(),
        };
        var response = await CallAsync("AnalyzePlan", () => _client.AnalyzePlanAsync(request, _headers, Deadline(), cancellation).ResponseAsync, cancellation);
        return response.SparkVersion?.Version ?? "unknown";
    }

    /// <summary>Spark's analysis of a relation: its output schema, or Spark's error if the plan does not resolve.</summary>
    public async Task<DataType> AnalyzeSchemaAsync(Relation relation, CancellationToken cancellation)
    {
        var request = new AnalyzePlanRequest
        {
            SessionId = SessionId,
            UserContext = UserContext(),
            ClientType = ClientType,
            Schema = new AnalyzePlanRequest.Types.Schema { Plan = new Plan { Root = relation } },
        };
        var response = await CallAsync("AnalyzePlan", () => _client.AnalyzePlanAsync(request, _headers, Deadline(), cancellation).ResponseAsync, cancellation);
        return response.Schema?.Schema_ ?? throw new SparkConnectException("Spark answered the analysis without a schema.");
    }

    public void Dispose() => _channel.Dispose();

    private Task<ConfigResponse> ConfigAsync(ConfigRequest.Types.Operation operation, CancellationToken cancellation)
    {
        var request = new ConfigRequest
        {
            SessionId = SessionId,
            UserContext = UserContext(),
            ClientType = ClientType,
            Operation = operation,
        };
        return CallAsync("Config", () => _client.ConfigAsync(request, _headers, Deadline(), cancellation).ResponseAsync, cancellation);
    }

    private async Task ReadAsync(IAsyncStreamReader<ExecutePlanResponse> stream, string operationId, List<ExecutePlanResponse> responses,
        StreamProgress progress, CancellationToken cancellation)
    {
        try
        {
            while (await stream.MoveNext(cancellation))
            {
                var response = stream.Current;
                if (response.ResponseId.Length > 0)
                {
                    progress.LastResponseId = response.ResponseId;
                }

                if (response.ResponseTypeCase == ExecutePlanResponse.ResponseTypeOneofCase.ResultComplete)
                {
                    progress.Complete = true;
                }
                else if (response.ResponseTypeCase != ExecutePlanResponse.ResponseTypeOneofCase.None)
                {
                    // None: a response type this subset of the protocol does not know (or metrics only); nothing we use.
                    responses.Add(response);
                }
            }
        }
        catch (RpcException) when (progress.Complete)
        {
            // The answer was complete; only the end of the stream was lost.
        }
        catch (RpcException e) when (!cancellation.IsCancellationRequested)
        {
            throw await ToExceptionAsync(e, "ExecutePlan", responses.Count == 0
                ? null
                : $"The ExecutePlan stream of operation {operationId} broke after {responses.Count} response(s), before result_complete", cancellation);
        }
        catch (RpcException) when (cancellation.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellation);
        }
    }

    private async Task ReleaseAsync(string operationId, CancellationToken cancellation)
    {
        // The server keeps a reattachable execution's responses until it is released (or times out); failing to release costs
        // it memory for a while, not us correctness.
        try
        {
            await _client.ReleaseExecuteAsync(new ReleaseExecuteRequest
            {
                SessionId = SessionId,
                UserContext = UserContext(),
                ClientType = ClientType,
                OperationId = operationId,
                ReleaseAll = new ReleaseExecuteRequest.Types.ReleaseAll(),
            }, _headers, Deadline(), cancellation);
        }
        catch (RpcException e) when (!cancellation.IsCancellationRequested)
        {
            _logger.ReleaseFailed(operationId, e.Status.Detail);
        }
    }

    private async Task<T> CallAsync<T>(string rpc, Func<Task<T>> call, CancellationToken cancellation)
    {
        try
        {
            return await call();
        }
        catch (RpcException e) when (!cancellation.IsCancellationRequested)
        {
            throw await ToExceptionAsync(e, rpc, null, cancellation);
        }
        catch (RpcException) when (cancellation.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellation);
        }
    }

    /// <summary>Spark's error with Spark's message (the full one from FetchErrorDetails when the server offers it), or a transport failure described in context.</summary>
    private async Task<SparkConnectException> ToExceptionAsync(RpcException e, string rpc, string? brokenStream, CancellationToken cancellation)
    {
        var error = SparkErrors.Read(e);
        if (error.ServerException is not null)
        {
            if (error.ErrorId is { } errorId && await FetchErrorDetailsAsync(errorId, cancellation) is { } details)
            {
                error = error with { Message = details.Message.Length > 0 ? details.Message : error.Message, ErrorClass = error.ErrorClass ?? details.SparkThrowable?.ErrorClass };
            }

            return error.ToException($"Spark failed with {e.StatusCode}.", e);
        }

        var detail = string.IsNullOrWhiteSpace(e.Status.Detail) ? e.StatusCode.ToString() : $"{e.StatusCode}: {e.Status.Detail}";
        var message = brokenStream is not null
            ? $"{brokenStream}: {detail}"
            : e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded
                ? $"Spark Connect at {Remote} did not answer {rpc} ({detail})."
                : $"Spark Connect at {Remote} failed {rpc} ({detail}).";
        return new SparkConnectException(message, e) { StatusCode = e.StatusCode };
    }

    private async Task<FetchErrorDetailsResponse.Types.Error?> FetchErrorDetailsAsync(string errorId, CancellationToken cancellation)
    {
        try
        {
            var response = await _client.FetchErrorDetailsAsync(new FetchErrorDetailsRequest
            {
                SessionId = SessionId,
                UserContext = UserContext(),
                ClientType = ClientType,
                ErrorId = errorId,
            }, _headers, Deadline(), cancellation);
            return response.HasRootErrorIdx && response.RootErrorIdx >= 0 && response.RootErrorIdx < response.Errors.Count
                ? response.Errors[response.RootErrorIdx]
                : null;
        }
        catch (RpcException e) when (!cancellation.IsCancellationRequested)
        {
            // Spark 3.5 has no FetchErrorDetails (UNIMPLEMENTED); the status message is then all there is.
            _logger.ErrorDetailsUnavailable(errorId, e.StatusCode.ToString());
            return null;
        }
    }

    private UserContext UserContext() => new() { UserId = Remote.UserId };

    private DateTime Deadline() => DateTime.UtcNow + CallTimeout;

    private sealed class StreamProgress
    {
        public string? LastResponseId { get; set; }

        public bool Complete { get; set; }
    }
}

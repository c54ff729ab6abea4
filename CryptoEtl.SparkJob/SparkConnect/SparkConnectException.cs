using Grpc.Core;

namespace CryptoEtl.SparkJob.SparkConnect;

/// <summary>
/// A Spark Connect call failed. For an error Spark raised (a bad plan, a missing query, ...) the message is Spark's own
/// message and <see cref="ErrorClass"/>, <see cref="SqlState"/> and <see cref="ServerException"/> come from the ErrorInfo
/// Spark attaches; for a transport failure (unreachable server, broken stream) the message says what happened.
/// </summary>
public sealed class SparkConnectException : Exception
{
    public SparkConnectException(string message)
        : base(message)
    {
    }

    public SparkConnectException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    public SparkConnectException()
        : base("The Spark Connect call failed.")
    {
    }

    /// <summary>The gRPC status of the failed call, if the failure came from one.</summary>
    public StatusCode? StatusCode { get; init; }

    /// <summary>Spark's error class, e.g. UNRESOLVED_COLUMN.WITH_SUGGESTION.</summary>
    public string? ErrorClass { get; init; }

    public string? SqlState { get; init; }

    /// <summary>The class of the exception on the server, e.g. org.apache.spark.sql.AnalysisException.</summary>
    public string? ServerException { get; init; }

    /// <summary>True when Spark itself answered with an error (as opposed to the call not reaching it or breaking).</summary>
    public bool FromSpark => ServerException is not null;
}

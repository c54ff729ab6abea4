using ErrorInfo = CryptoEtl.SparkJob.SparkConnect.Protocol.Rpc.ErrorInfo;
using Google.Protobuf;
using Grpc.Core;

namespace CryptoEtl.SparkJob.SparkConnect;

/// <summary>
/// Reads what Spark puts in a failed call: a google.rpc.Status in the grpc-status-details-bin trailer whose details hold a
/// google.rpc.ErrorInfo (reason = exception class, metadata errorClass, sqlState, errorId).
/// </summary>
internal static class SparkErrors
{
    public const string StatusDetailsTrailer = "grpc-status-details-bin";

    private const string ErrorInfoType = "google.rpc.ErrorInfo";

    public static SparkError Read(RpcException exception)
    {
        var message = string.IsNullOrWhiteSpace(exception.Status.Detail) ? null : exception.Status.Detail;
        ErrorInfo? info = null;
        if (exception.Trailers.GetValueBytes(StatusDetailsTrailer) is { Length: > 0 } bytes)
        {
            try
            {
                var status = Protocol.Rpc.Status.Parser.ParseFrom(bytes);
                message = string.IsNullOrWhiteSpace(status.Message) ? message : status.Message;
                info = status.Details.Where(d => Google.Protobuf.WellKnownTypes.Any.GetTypeName(d.TypeUrl) == ErrorInfoType)
                    .Select(d => ErrorInfo.Parser.ParseFrom(d.Value))
                    .FirstOrDefault();
            }
            catch (InvalidProtocolBufferException)
            {
                // A proxy's trailer, not Spark's: the plain status detail is all there is.
            }
        }

        return new SparkError(exception.StatusCode, message, info?.Reason is { Length: > 0 } reason ? reason : null,
            Metadata(info, "errorClass"), Metadata(info, "sqlState"), Metadata(info, "errorId"));
    }

    private static string? Metadata(ErrorInfo? info, string key) =>
        info is not null && info.Metadata.TryGetValue(key, out var value) && value.Length > 0 ? value : null;
}

/// <summary>What a failed call told: Spark's message, and the ErrorInfo fields when Spark sent them.</summary>
internal sealed record SparkError(StatusCode Code, string? Message, string? ServerException, string? ErrorClass, string? SqlState, string? ErrorId)
{
    public SparkConnectException ToException(string fallback, RpcException cause) =>
        new(Message ?? fallback, cause)
        {
            StatusCode = Code,
            ServerException = ServerException,
            ErrorClass = ErrorClass,
            SqlState = SqlState,
        };
}

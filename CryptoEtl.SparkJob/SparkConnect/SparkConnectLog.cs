namespace CryptoEtl.SparkJob.SparkConnect;

internal static partial class SparkConnectLog
{
    [LoggerMessage(100, LogLevel.Warning, "ExecutePlan stream of operation {OperationId} ended without result_complete; reattaching after response {LastResponseId} (attempt {Attempt})")]
    public static partial void Reattaching(this ILogger logger, string operationId, string lastResponseId, int attempt);

    [LoggerMessage(101, LogLevel.Debug, "ReleaseExecute of operation {OperationId} failed (the server releases it on its own later): {Error}")]
    public static partial void ReleaseFailed(this ILogger logger, string operationId, string error);

    [LoggerMessage(102, LogLevel.Warning, "Spark Connect config warning: {Warning}")]
    public static partial void ConfigWarning(this ILogger logger, string warning);

    [LoggerMessage(103, LogLevel.Debug, "FetchErrorDetails for error {ErrorId} failed ({Status}); using the status message")]
    public static partial void ErrorDetailsUnavailable(this ILogger logger, string errorId, string status);
}

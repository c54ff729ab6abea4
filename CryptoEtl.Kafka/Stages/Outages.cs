using System.Net.Sockets;
using Confluent.Kafka;
using CryptoEtl.ServiceDefaults.Failures;

namespace CryptoEtl.Kafka.Stages;

/// <summary>
/// Whether a failed batch failed because something the stage depends on is out (Kafka, the registry, a store, the
/// disk), so that the same records will go through once it is back, or because of the records themselves. A stage
/// waits out an outage for as long as it lasts, and suspects a poison record only after tries that failed for other
/// reasons (<see cref="BatchAttempt.SuspectsPoison"/>). A record Kafka refuses for what it is (too large, invalid) is not
/// an outage; nor is an exception from the stage's own code.
/// </summary>
public static class Outages
{
    private static readonly HashSet<ErrorCode> AboutTheRecord =
    [
        ErrorCode.MsgSizeTooLarge, ErrorCode.InvalidMsg, ErrorCode.InvalidMsgSize, ErrorCode.RecordListTooLarge,
        ErrorCode.InvalidRecord, ErrorCode.Local_BadMsg, ErrorCode.Local_InvalidArg, ErrorCode.InvalidRequest, ErrorCode.PolicyViolation,
    ];

    public static bool IsOutage(Exception exception) => exception switch
    {
        OutageException => true,
        KafkaException kafka => !AboutTheRecord.Contains(kafka.Error.Code),
        // Several failures at once (partitions in parallel): one outage among them is enough to wait.
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsOutage),
        // No space left, I/O errors, unreachable servers, timeouts: never the record's fault.
        IOException or HttpRequestException or TimeoutException or SocketException or OperationCanceledException => true,
        _ => exception.InnerException is { } inner && IsOutage(inner),
    };
}

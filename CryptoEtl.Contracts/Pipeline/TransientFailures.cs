using System.Net.Sockets;
using Confluent.Kafka;

namespace CryptoEtl.Contracts.Pipeline;

/// <summary>
/// Whether a failed batch may succeed if tried again: Kafka, the registry or the disk being unavailable are transient,
/// and a stage retries them for as long as they last. A record Kafka refuses for what it is (too large, invalid), or a
/// processing error (an exception from the stage's own code) is deterministic: retrying cannot change it, so after a
/// few tries the stage isolates the record that causes it and dead-letters it.
/// </summary>
public static class TransientFailures
{
    private static readonly HashSet<ErrorCode> Permanent =
    [
        ErrorCode.MsgSizeTooLarge, ErrorCode.InvalidMsg, ErrorCode.InvalidMsgSize, ErrorCode.RecordListTooLarge,
        ErrorCode.InvalidRecord, ErrorCode.Local_BadMsg, ErrorCode.Local_InvalidArg, ErrorCode.InvalidRequest, ErrorCode.PolicyViolation,
    ];

    public static bool IsTransient(Exception exception) => exception switch
    {
        KafkaException kafka => !Permanent.Contains(kafka.Error.Code),
        AggregateException aggregate => aggregate.InnerExceptions.All(IsTransient),
        HttpRequestException or TimeoutException or SocketException or IOException or OperationCanceledException => true,
        _ => exception.InnerException is { } inner && IsTransient(inner),
    };
}

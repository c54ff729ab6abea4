using Confluent.Kafka;
using CryptoEtl.DevServices.Kafka;

namespace CryptoEtl.DevServices.Tests.Kafka;

public sealed class KafkaFaultTests
{
    [Theory]
    [InlineData("Produce:NotLeaderForPartition:3", KafkaApi.Produce, ErrorCode.NotLeaderForPartition, 3)]
    [InlineData("fetch:REQUEST_TIMED_OUT", KafkaApi.Fetch, ErrorCode.RequestTimedOut, 1)]
    [InlineData("8:14:2", KafkaApi.OffsetCommit, ErrorCode.GroupLoadInProgress, 2)]
    [InlineData("Fetch:Local_Transport:1", KafkaApi.Fetch, ErrorCode.Local_Transport, 1)]
    public void Parses_names_in_either_spelling_and_numbers(string text, KafkaApi api, ErrorCode error, int count)
    {
        Assert.True(KafkaFault.TryParse(text, out var fault, out var problem), problem);
        Assert.Equal(new KafkaFault(api, error, count), fault);
    }

    [Theory]
    [InlineData("Produce", "expected <api>:<error>")]
    [InlineData("Produce:Gremlins", "Unknown Kafka error 'Gremlins'")]
    [InlineData("Produce:Local_MsgTimedOut", "Unknown Kafka error 'Local_MsgTimedOut'")]
    [InlineData("Teleport:RequestTimedOut", "Unknown Kafka API 'Teleport'")]
    [InlineData("Produce:RequestTimedOut:0", "must be a positive integer")]
    public void Rejects_unknown_names_with_a_reason(string text, string expected)
    {
        Assert.False(KafkaFault.TryParse(text, out var fault, out var problem));
        Assert.Null(fault);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }
}

using Confluent.Kafka;

namespace CryptoEtl.DevServices.Tests.Kafka;

internal static class KafkaTestClients
{
    /// <summary>librdkafka logs connection failures to stderr; the tests assert on errors instead.</summary>
    public static void Quiet<T>(T client, LogMessage message)
    {
    }

    public static IProducer<string, string> IdempotentProducer(string bootstrap) =>
        new ProducerBuilder<string, string>(new ProducerConfig
        {
            BootstrapServers = bootstrap,
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = 5,
            MessageTimeoutMs = 60_000,
            RetryBackoffMs = 50,
        }).SetLogHandler(Quiet).Build();

    public static IConsumer<string, string> Consumer(string bootstrap, string group) =>
        new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = group,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
            SessionTimeoutMs = 6000,
        }).SetLogHandler(Quiet).Build();

    /// <summary>Produces "key#n" values, n = 0..perKey-1 for each key, and returns them in send order.</summary>
    public static async Task<List<string>> ProduceAsync(string bootstrap, string topic, int keys, int perKey, CancellationToken cancellation)
    {
        using var producer = IdempotentProducer(bootstrap);
        var values = new List<string>();
        var deliveries = new List<Task<DeliveryResult<string, string>>>();
        for (var n = 0; n < perKey; n++)
        {
            for (var k = 0; k < keys; k++)
            {
                var value = $"key{k}#{n}";
                values.Add(value);
                deliveries.Add(producer.ProduceAsync(topic, new Message<string, string> { Key = $"key{k}", Value = value }, cancellation));
            }
        }

        var reports = await Task.WhenAll(deliveries);
        Assert.All(reports, r => Assert.Equal(PersistenceStatus.Persisted, r.Status));
        return values;
    }

    public static List<ConsumeResult<string, string>> ConsumeUntil(IConsumer<string, string> consumer, int count, TimeSpan timeout)
    {
        var results = new List<ConsumeResult<string, string>>();
        var deadline = DateTime.UtcNow + timeout;
        while (results.Count < count)
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Consumed {results.Count} of {count} records before timing out.");
            }

            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is not null && !result.IsPartitionEOF)
            {
                results.Add(result);
            }
        }

        return results;
    }
}

using Confluent.Kafka;
using CryptoEtl.Kafka;
using CryptoEtl.Kafka.Stages;
using CryptoEtl.TestSupport;

namespace CryptoEtl.ServiceDefaults.Tests;

/// <summary>The batch read shared by the local executor and the loader, against the embedded broker.</summary>
public sealed class ConsumerBatchesTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_batch_closes_at_its_size_or_once_the_input_is_drained_and_skips_what_the_stage_does_not_keep()
    {
        await using var infrastructure = await EmbeddedInfrastructure.StartAsync(createPipelineTopics: false);
        infrastructure.Broker.CreateTopic("input", 2);
        using (var producer = infrastructure.RawProducer())
        {
            for (var i = 0; i < 10; i++)
            {
                await producer.ProduceAsync(new TopicPartition("input", new Partition(i % 2)), new Message<byte[]?, byte[]?> { Value = [(byte)i] }, Cancel);
            }
        }

        using var consumer = infrastructure.RawConsumer("batches");
        consumer.Subscribe("input");
        var batch = new List<ConsumeResult<byte[]?, byte[]?>>();
        var interval = TimeSpan.FromSeconds(30);

        consumer.Collect(batch, maxSize: 3, interval, Cancel);
        Assert.Equal(3, batch.Count);

        // The rest, less partition 1's records: the batch closes once nothing more arrives, long before its interval.
        var read = new List<ConsumeResult<byte[]?, byte[]?>>(batch);
        var started = System.Diagnostics.Stopwatch.StartNew();
        consumer.Collect(batch, maxSize: 100, interval, Cancel, keep: r => r.Partition.Value == 0);
        Assert.True(started.Elapsed < interval / 2, $"the drained batch waited {started.Elapsed} of its {interval}");
        Assert.All(batch, r => Assert.Equal(0, r.Partition.Value));
        read.AddRange(batch);
        Assert.Equal(5, read.Count(r => r.Partition.Value == 0));

        consumer.Collect(batch, maxSize: 100, TimeSpan.FromMilliseconds(200), Cancel);
        Assert.Empty(batch);
    }
}

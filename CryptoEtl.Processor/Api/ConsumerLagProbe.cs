using Confluent.Kafka;
using CryptoEtl.Contracts;
using CryptoEtl.Processor.Loading;
using CryptoEtl.ServiceDefaults.Kafka;
using Microsoft.Extensions.Options;

namespace CryptoEtl.Processor.Api;

/// <summary>
/// Consumer lag from committed offsets: the transform job's group on the snapshots topic and this service's group on
/// its inputs. Committed offsets are what survives a crash, so this is the lag that matters for freshness.
/// </summary>
public sealed class ConsumerLagProbe(IConfiguration configuration, IOptions<LoaderOptions> options) : IDisposable
{
    private readonly Lazy<IConsumer<Ignore, Ignore>> _probe = new(() => new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
    {
        BootstrapServers = KafkaConnection.BootstrapServers(configuration),
        GroupId = "cryptoetl-lag-probe",
        EnableAutoCommit = false,
    }).SetLogHandler((_, _) => { }).Build());

    /// <summary>"transform" and "load" lag in records; null when Kafka does not answer in time.</summary>
    public IReadOnlyDictionary<string, long?> Measure() => new Dictionary<string, long?>
    {
        ["transform"] = Lag(options.Value.TransformConsumerGroup, [Topics.Snapshots]),
        ["load"] = Lag(options.Value.ConsumerGroup, Loader.InputTopics),
    };

    public void Dispose()
    {
        if (_probe.IsValueCreated)
        {
            _probe.Value.Dispose();
        }
    }

    private long? Lag(string group, IEnumerable<string> topics)
    {
        try
        {
            using var admin = new DependentAdminClientBuilder(_probe.Value.Handle).Build();
            var partitions = topics.SelectMany(t => admin.GetMetadata(t, TimeSpan.FromSeconds(3)).Topics.Single().Partitions.Select(p => new TopicPartition(t, p.PartitionId))).ToList();
            var committed = admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(group, partitions)],
                new Confluent.Kafka.Admin.ListConsumerGroupOffsetsOptions { RequestTimeout = TimeSpan.FromSeconds(3) }).GetAwaiter().GetResult().Single().Partitions;
            return committed.Sum(c =>
            {
                var high = _probe.Value.QueryWatermarkOffsets(c.TopicPartition, TimeSpan.FromSeconds(3)).High.Value;
                return high - (c.Offset.IsSpecial ? 0 : c.Offset.Value);
            });
        }
        catch (KafkaException)
        {
            return null;
        }
    }
}

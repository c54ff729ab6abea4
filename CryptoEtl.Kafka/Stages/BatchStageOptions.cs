using CryptoEtl.ServiceDefaults.Options;

namespace CryptoEtl.Kafka.Stages;

/// <summary>
/// The settings every Kafka batch stage has, in its own configuration section (<c>Loader</c>, <c>LocalExecutor</c>,
/// named by the derived class's <see cref="SettingsSectionAttribute"/>).
/// </summary>
public abstract class BatchStageOptions(string consumerGroup)
{
    [NotEmpty]
    public string ConsumerGroup { get; set; } = consumerGroup;

    /// <summary>A batch closes after this many records...</summary>
    [Between(1, 1_000_000)]
    public int MaxBatchSize { get; set; } = 20_000;

    /// <summary>...or after this long, whichever comes first.</summary>
    [Duration("between 0 and 10 minutes", AboveMin = true, Max = "00:10:00")]
    public TimeSpan BatchInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Longest pause between tries of a failed batch (the first waits about 500 ms, each next one about twice as long).
    /// At most 2 minutes, below librdkafka's max.poll.interval.ms (5 min), so the group keeps a member that waits.
    /// </summary>
    [Duration("between 0 and 2 minutes", AboveMin = true, Max = "00:02:00")]
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>After this many failed tries of a batch, its records are taken one at a time and the ones that fail are dead-lettered.</summary>
    [Between(1, 100)]
    public int PoisonAfterFailures { get; set; } = 3;
}

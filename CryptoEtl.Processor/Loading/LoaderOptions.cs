using CryptoEtl.Kafka.Stages;

namespace CryptoEtl.Processor.Loading;

/// <summary>The <c>Loader</c> configuration section: the batch stage's settings, and the job's group for the freshness endpoint.</summary>
public sealed class LoaderOptions() : BatchStageOptions(Section, "cryptoetl-processor")
{
    public const string Section = "Loader";

    /// <summary>The transform job's consumer group, whose lag the freshness endpoint reports.</summary>
    public string TransformConsumerGroup { get; set; } = "cryptoetl-sparkjob";
}

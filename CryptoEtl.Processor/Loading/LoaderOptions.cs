using CryptoEtl.Kafka.Stages;
using CryptoEtl.ServiceDefaults.Options;
using Microsoft.Extensions.Options;

namespace CryptoEtl.Processor.Loading;

/// <summary>The <c>Loader</c> configuration section: the batch stage's settings, and the job's group for the freshness endpoint.</summary>
[SettingsSection(Section)]
public sealed class LoaderOptions() : BatchStageOptions("cryptoetl-processor")
{
    public const string Section = "Loader";

    /// <summary>The transform job's consumer group, whose lag the freshness endpoint reports.</summary>
    [NotEmpty]
    public string TransformConsumerGroup { get; set; } = "cryptoetl-sparkjob";
}

[OptionsValidator]
public sealed partial class LoaderOptionsValidator : IValidateOptions<LoaderOptions>;

using CryptoEtl.Contracts;
using CryptoEtl.Processor.Loading;
using CryptoEtl.Kafka;
using Microsoft.Extensions.Options;

namespace CryptoEtl.Processor.Api;

/// <summary>The pipeline's two consumer lags: the transform job's group on the snapshots topic and this service's group on its inputs.</summary>
public sealed class ConsumerLagProbe(KafkaOffsets lag, IOptions<LoaderOptions> options)
{
    /// <summary>"transform" and "load" lag in records; null when Kafka does not answer in time.</summary>
    public async Task<IReadOnlyDictionary<string, long?>> MeasureAsync() => new Dictionary<string, long?>
    {
        ["transform"] = (await lag.MeasureAsync(options.Value.TransformConsumerGroup, [Topics.Snapshots]))?.Total,
        ["load"] = (await lag.MeasureAsync(options.Value.ConsumerGroup, Loader.InputTopics))?.Total,
    };
}

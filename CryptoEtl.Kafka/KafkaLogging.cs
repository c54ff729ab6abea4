using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace CryptoEtl.Kafka;

/// <summary>Routes librdkafka's own log lines into the service's logs (and from there to OpenTelemetry).</summary>
public static class KafkaLogging
{
    public static Action<IClient, LogMessage> To(ILogger logger) =>
        (_, message) => logger.Log((LogLevel)message.LevelAs(LogLevelType.MicrosoftExtensionsLogging), "librdkafka {Facility}: {Message}", message.Facility, message.Message);
}

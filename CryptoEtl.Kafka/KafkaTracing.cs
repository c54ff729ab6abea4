using System.Diagnostics;
using System.Text;
using Confluent.Kafka;

namespace CryptoEtl.Kafka;

/// <summary>
/// Spans for Kafka work with OpenTelemetry's messaging conventions, and W3C trace context carried in message headers
/// (<c>traceparent</c>, <c>tracestate</c>) so a trace continues from producer to consumer.
/// </summary>
public static class KafkaTracing
{
    /// <summary>A producer span for one message (or one batch, when <paramref name="batchSize"/> is given).</summary>
    public static Activity? StartPublish(ActivitySource source, string topic, string? key = null, int? batchSize = null, ActivityContext parent = default)
    {
        var activity = source.StartActivity($"send {topic}", ActivityKind.Producer, parent);
        if (activity is not null)
        {
            activity.SetTag("messaging.system", "kafka");
            activity.SetTag("messaging.operation.type", "send");
            activity.SetTag("messaging.operation.name", "send");
            activity.SetTag("messaging.destination.name", topic);
            activity.SetTag("messaging.kafka.message.key", key);
            activity.SetTag("messaging.batch.message_count", batchSize);
        }

        return activity;
    }

    /// <summary>A consumer span for processing a batch, linked to the traces of the messages in it.</summary>
    public static Activity? StartProcess(ActivitySource source, string topic, string consumerGroup, IEnumerable<ActivityContext> producers, int batchSize)
    {
        var links = producers.Where(c => c != default).Distinct().Take(128).Select(c => new ActivityLink(c));
        var activity = source.StartActivity($"process {topic}", ActivityKind.Consumer, default(ActivityContext), links: links);
        if (activity is not null)
        {
            activity.SetTag("messaging.system", "kafka");
            activity.SetTag("messaging.operation.type", "process");
            activity.SetTag("messaging.operation.name", "process");
            activity.SetTag("messaging.destination.name", topic);
            activity.SetTag("messaging.consumer.group.name", consumerGroup);
            activity.SetTag("messaging.batch.message_count", batchSize);
        }

        return activity;
    }

    /// <summary>Writes the activity's context into the headers (no-op without an activity).</summary>
    public static void Inject(Activity? activity, Headers headers)
    {
        if (activity is null)
        {
            return;
        }

        DistributedContextPropagator.Current.Inject(activity, headers, static (carrier, name, value) =>
        {
            if (carrier is Headers target && value is not null)
            {
                target.Remove(name);
                target.Add(name, Encoding.UTF8.GetBytes(value));
            }
        });
    }

    /// <summary>The producer's trace context from the headers, or default when there is none (or it is garbage).</summary>
    public static ActivityContext Extract(Headers? headers)
    {
        if (headers is null)
        {
            return default;
        }

        DistributedContextPropagator.Current.ExtractTraceIdAndState(headers, static (object? carrier, string name, out string? value, out IEnumerable<string>? values) =>
        {
            values = null;
            value = carrier is Headers source && source.TryGetLastBytes(name, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;
        }, out var traceParent, out var traceState);

        return ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var context) ? context : default;
    }
}

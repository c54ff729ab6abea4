using Confluent.Kafka;

namespace CryptoEtl.DevServices.Kafka;

/// <summary>A request-level fault: the next <see cref="Count"/> requests of <see cref="Api"/> fail with <see cref="Error"/>.</summary>
public sealed record KafkaFault(KafkaApi Api, ErrorCode Error, int Count)
{
    public const string Syntax = "<api>:<error>[:<count>], e.g. Produce:NotLeaderForPartition:3";

    /// <summary>Parses <see cref="Syntax"/>; names are case-insensitive and may use Kafka's UPPER_SNAKE spelling.</summary>
    public static bool TryParse(string text, out KafkaFault? fault, out string? problem)
    {
        fault = null;
        var parts = text.Split(':', StringSplitOptions.TrimEntries);
        if (parts.Length is < 2 or > 3)
        {
            problem = $"'{text}' is not a fault; expected {Syntax}.";
            return false;
        }

        if (!TryParseName<KafkaApi>(parts[0], out var api))
        {
            problem = $"Unknown Kafka API '{parts[0]}'. Known: {string.Join(", ", Enum.GetNames<KafkaApi>())}.";
            return false;
        }

        // Broker errors are positive; of librdkafka's local errors the broker can only simulate a dropped connection.
        if (!TryParseName<ErrorCode>(parts[1], out var error) || ((int)error <= 0 && error != ErrorCode.Local_Transport))
        {
            problem = $"Unknown Kafka error '{parts[1]}'. Use a broker error name such as NotLeaderForPartition, RequestTimedOut, "
                + "NotEnoughReplicas, LeaderNotAvailable or CoordinatorNotAvailable, its numeric code, or Local_Transport to drop the connection.";
            return false;
        }

        var count = 1;
        if (parts.Length == 3 && (!int.TryParse(parts[2], out count) || count < 1))
        {
            problem = $"The fault count '{parts[2]}' must be a positive integer.";
            return false;
        }

        fault = new KafkaFault(api, error, count);
        problem = null;
        return true;
    }

    private static bool TryParseName<TEnum>(string text, out TEnum value) where TEnum : struct, Enum
    {
        if (int.TryParse(text, out var number))
        {
            value = (TEnum)Enum.ToObject(typeof(TEnum), number);
            return Enum.IsDefined(value);
        }

        foreach (var candidate in Enum.GetValues<TEnum>())
        {
            if (string.Equals(WithoutUnderscores(candidate.ToString()), WithoutUnderscores(text), StringComparison.OrdinalIgnoreCase))
            {
                value = candidate;
                return true;
            }
        }

        value = default;
        return false;
    }

    private static string WithoutUnderscores(string name) => name.Replace("_", "", StringComparison.Ordinal);
}

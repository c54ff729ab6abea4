using System.Globalization;

namespace CryptoEtl.AppHost.Running;

/// <summary>
/// The containers realisation scaled the seed's way (its §8): Kafka with one broker or three (replication 3,
/// <c>min.insync.replicas</c> 2), Spark as a master with N workers, MongoDB as a replica set of one member or three.
/// <c>--kafka-brokers</c>, <c>--spark-workers</c>, <c>--mongodb-members</c>.
/// </summary>
public sealed record ContainerScale(int KafkaBrokers, int SparkWorkers, int MongoDBMembers)
{
    public static ContainerScale Default { get; } = new(KafkaBrokers: 1, SparkWorkers: 2, MongoDBMembers: 1);

    /// <summary>Replicas of each topic: every broker up to three.</summary>
    public int Replication => Math.Min(KafkaBrokers, 3);

    /// <summary>Replicas that must take a write: two of three, so one broker may be down.</summary>
    public int MinInSyncReplicas => Replication >= 3 ? 2 : 1;

    public static bool TryRead(IConfiguration configuration, out ContainerScale scale, out string? problem)
    {
        var brokers = Count(configuration, "kafka-brokers", Default.KafkaBrokers, [1, 3]);
        var workers = Count(configuration, "spark-workers", Default.SparkWorkers, [.. Enumerable.Range(1, 8)]);
        var members = Count(configuration, "mongodb-members", Default.MongoDBMembers, [1, 3]);
        problem = brokers.Problem ?? workers.Problem ?? members.Problem;
        scale = new ContainerScale(brokers.Value, workers.Value, members.Value);
        return problem is null;
    }

    private static (int Value, string? Problem) Count(IConfiguration configuration, string option, int fallback, int[] allowed) =>
        configuration[option] is not { Length: > 0 } text ? (fallback, null)
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && allowed.Contains(value) ? (value, null)
        : (fallback, $"--{option} '{text}' must be {(allowed.Length == 2 ? $"{allowed[0]} or {allowed[1]}" : $"between {allowed[0]} and {allowed[^1]}")}.");
}

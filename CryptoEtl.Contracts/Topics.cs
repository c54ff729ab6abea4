namespace CryptoEtl.Contracts;

/// <summary>Every topic of the pipeline, its partition count and the contract of its values. Keys are coin ids.</summary>
/// <remarks>The AppHost compiles this file too (it starts the services, it does not link them), as an internal copy.</remarks>
#if CRYPTOETL_APPHOST
internal static class Topics
#else
public static class Topics
#endif
{
    public const string Snapshots = "crypto.market.snapshots";
    public const string Ticks = "crypto.market.ticks";
    public const string Candles = "crypto.market.candles";
    public const string Alerts = "crypto.market.alerts";
    public const string DeadLetter = "crypto.deadletter";

    public static IReadOnlyList<TopicSpec> All { get; } =
    [
        new(Snapshots, Partitions: 6, ValueContract: "MarketSnapshot"),
        new(Ticks, Partitions: 6, ValueContract: "PriceTick"),
        new(Candles, Partitions: 6, ValueContract: "Candle"),
        new(Alerts, Partitions: 3, ValueContract: "MarketAlert"),
        new(DeadLetter, Partitions: 3, ValueContract: "DeadLetter"),
    ];

    /// <summary>The Schema Registry subject of a topic's values (Confluent's TopicNameStrategy).</summary>
    public static string ValueSubject(string topic) => $"{topic}-value";
}

#if CRYPTOETL_APPHOST
internal sealed record TopicSpec(string Name, int Partitions, string ValueContract);
#else
public sealed record TopicSpec(string Name, int Partitions, string ValueContract);
#endif

namespace CryptoEtl.Processor.Storage;

/// <summary>
/// A document as every store writes it: a deterministic id and named fields whose values are string, double, int,
/// long, bool, DateTime (UTC) or null. Each store turns it into its own BSON; the field names are the same everywhere.
/// </summary>
public sealed record StoreDocument(string Id, IReadOnlyList<KeyValuePair<string, object?>> Fields)
{
    public object? this[string name] => Fields.FirstOrDefault(f => f.Key == name).Value;
}

/// <summary>The four collections.</summary>
public static class Collections
{
    public const string Ticks = "ticks";
    public const string Candles = "candles";
    public const string Latest = "latest";
    public const string Alerts = "alerts";

    public static IReadOnlyList<string> All { get; } = [Ticks, Candles, Latest, Alerts];
}

namespace CryptoEtl.Processor.Storage;

/// <summary>The <c>Store</c> configuration section.</summary>
public sealed class StoreOptions
{
    public const string Section = "Store";

    /// <summary>MongoDB database when the connection string names none.</summary>
    public string Database { get; set; } = "cryptoetl";

    /// <summary>MongoDB write concern: majority (default) or a number of members (1, 2, ...).</summary>
    public string WriteConcern { get; set; } = "majority";

    /// <summary>Keep ticks this long after their event time (unset: forever). A TTL index on MongoDB, a periodic delete on LiteDB.</summary>
    public TimeSpan? TickRetention { get; set; }

    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (WriteConcern != "majority" && !(int.TryParse(WriteConcern, out var w) && w >= 1))
        {
            problems.Add($"Store:WriteConcern must be 'majority' or a number of members of at least 1 (got '{WriteConcern}'); unacknowledged writes would let offsets be committed for data that is not stored.");
        }

        if (TickRetention is { } retention && retention < TimeSpan.FromMinutes(1))
        {
            problems.Add($"Store:TickRetention must be at least a minute (got {retention}).");
        }

        if (string.IsNullOrWhiteSpace(Database))
        {
            problems.Add("Store:Database must not be empty.");
        }

        return problems;
    }
}

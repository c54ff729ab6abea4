namespace CryptoEtl.Ingest;

/// <summary>The <c>Ingest</c> configuration section.</summary>
public sealed class IngestOptions
{
    public const string Section = "Ingest";

    /// <summary>A run taking longer than this fails with "timed out".</summary>
    public TimeSpan RunTimeout { get; set; } = TimeSpan.FromMinutes(10);

    public IReadOnlyList<string> Problems() =>
        RunTimeout > TimeSpan.Zero ? [] : [$"Ingest:RunTimeout must be positive (got {RunTimeout})."];
}

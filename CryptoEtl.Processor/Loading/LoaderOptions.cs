namespace CryptoEtl.Processor.Loading;

/// <summary>The <c>Loader</c> configuration section.</summary>
public sealed class LoaderOptions
{
    public const string Section = "Loader";

    public string ConsumerGroup { get; set; } = "cryptoetl-processor";

    /// <summary>A batch is written after this many records...</summary>
    public int MaxBatchSize { get; set; } = 20_000;

    /// <summary>...or after this long, whichever comes first.</summary>
    public TimeSpan BatchInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest pause between attempts while the store is down.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>After this many refused writes of a batch, its records are written one at a time and the ones refused are dead-lettered.</summary>
    public int PoisonAfterFailures { get; set; } = 3;

    /// <summary>The transform job's consumer group, whose lag the freshness endpoint reports.</summary>
    public string TransformConsumerGroup { get; set; } = "cryptoetl-sparkjob";

    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (MaxBatchSize is < 1 or > 100_000)
        {
            problems.Add($"Loader:MaxBatchSize must be between 1 and 100000 (got {MaxBatchSize}).");
        }

        if (BatchInterval <= TimeSpan.Zero || BatchInterval > TimeSpan.FromMinutes(5))
        {
            problems.Add($"Loader:BatchInterval must be between 0 and 5 minutes (got {BatchInterval}).");
        }

        if (PoisonAfterFailures is < 1 or > 100)
        {
            problems.Add($"Loader:PoisonAfterFailures must be between 1 and 100 (got {PoisonAfterFailures}).");
        }

        if (string.IsNullOrWhiteSpace(ConsumerGroup))
        {
            problems.Add("Loader:ConsumerGroup must not be empty.");
        }

        return problems;
    }
}

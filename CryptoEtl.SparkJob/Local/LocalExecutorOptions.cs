namespace CryptoEtl.SparkJob.Local;

/// <summary>The <c>LocalExecutor</c> configuration section.</summary>
public sealed class LocalExecutorOptions
{
    public const string Section = "LocalExecutor";

    /// <summary>A micro-batch ends after this many records...</summary>
    public int MaxBatchSize { get; set; } = 20_000;

    /// <summary>...or after this long, whichever comes first.</summary>
    public TimeSpan BatchInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>The Spark-style checkpoint location; default &lt;StateDir&gt;/checkpoints. Share it between instances.</summary>
    public string? CheckpointDir { get; set; }

    /// <summary>fsync checkpoints (survive power loss, not just a crash of the process).</summary>
    public bool FsyncCheckpoints { get; set; } = true;

    public string ConsumerGroup { get; set; } = "cryptoetl-sparkjob";

    /// <summary>Partitions processed in parallel (0: one per core).</summary>
    public int Parallelism { get; set; }

    /// <summary>Longest pause between attempts when a batch fails (the registry or Kafka is down).</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>After this many failed tries of a batch for a reason retrying does not cure, its bad record is found and dead-lettered.</summary>
    public int PoisonAfterFailures { get; set; } = 3;

    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (MaxBatchSize is < 1 or > 1_000_000)
        {
            problems.Add($"LocalExecutor:MaxBatchSize must be between 1 and 1000000 (got {MaxBatchSize}).");
        }

        if (BatchInterval <= TimeSpan.Zero || BatchInterval > TimeSpan.FromMinutes(10))
        {
            problems.Add($"LocalExecutor:BatchInterval must be between 0 and 10 minutes (got {BatchInterval}).");
        }

        if (string.IsNullOrWhiteSpace(ConsumerGroup))
        {
            problems.Add("LocalExecutor:ConsumerGroup must not be empty.");
        }

        if (PoisonAfterFailures is < 1 or > 100)
        {
            problems.Add($"LocalExecutor:PoisonAfterFailures must be between 1 and 100 (got {PoisonAfterFailures}).");
        }

        if (Parallelism is < 0 or > 256)
        {
            problems.Add($"LocalExecutor:Parallelism must be between 0 and 256 (got {Parallelism}).");
        }

        return problems;
    }
}

namespace CryptoEtl.Kafka.Stages;

/// <summary>The settings every Kafka batch stage has, in its own configuration section (<c>Loader</c>, <c>LocalExecutor</c>).</summary>
public abstract class BatchStageOptions
{
    /// <summary>The longest wait between two tries of a failed batch. Below librdkafka's max.poll.interval.ms (5 min), so the group keeps a member that waits.</summary>
    public static readonly TimeSpan MaxRetryDelayLimit = TimeSpan.FromMinutes(2);

    protected BatchStageOptions(string section, string consumerGroup)
    {
        SectionName = section;
        ConsumerGroup = consumerGroup;
    }

    /// <summary>The configuration section, which names a setting in an error.</summary>
    protected string SectionName { get; }

    public string ConsumerGroup { get; set; }

    /// <summary>A batch closes after this many records...</summary>
    public int MaxBatchSize { get; set; } = 20_000;

    /// <summary>...or after this long, whichever comes first.</summary>
    public TimeSpan BatchInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest pause between tries of a failed batch (the first waits about 500 ms, each next one about twice as long).</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>After this many failed tries of a batch, its records are taken one at a time and the ones that fail are dead-lettered.</summary>
    public int PoisonAfterFailures { get; set; } = 3;

    /// <summary>Each setting that is out of range, named with its section.</summary>
    public virtual IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(ConsumerGroup))
        {
            problems.Add($"{SectionName}:ConsumerGroup must not be empty.");
        }

        if (MaxBatchSize is < 1 or > 1_000_000)
        {
            problems.Add($"{SectionName}:MaxBatchSize must be between 1 and 1000000 (got {MaxBatchSize}).");
        }

        if (BatchInterval <= TimeSpan.Zero || BatchInterval > TimeSpan.FromMinutes(10))
        {
            problems.Add($"{SectionName}:BatchInterval must be between 0 and 10 minutes (got {BatchInterval}).");
        }

        if (MaxRetryDelay <= TimeSpan.Zero || MaxRetryDelay > MaxRetryDelayLimit)
        {
            problems.Add($"{SectionName}:MaxRetryDelay must be between 0 and 2 minutes (got {MaxRetryDelay}).");
        }

        if (PoisonAfterFailures is < 1 or > 100)
        {
            problems.Add($"{SectionName}:PoisonAfterFailures must be between 1 and 100 (got {PoisonAfterFailures}).");
        }

        return problems;
    }
}

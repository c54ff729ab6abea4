using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using CryptoEtl.ServiceDefaults.Options;
using Microsoft.Extensions.Options;

namespace CryptoEtl.SparkJob.SparkConnect;

/// <summary>The <c>Spark</c> configuration section: where the Spark Connect executor submits the job and how the queries run.</summary>
[SettingsSection(Section)]
public sealed partial class SparkOptions : IValidatableObject
{
    public const string Section = "Spark";
    public const string RemoteVariable = "SPARK_REMOTE";

    /// <summary>The Spark Connect server, sc://host:15002 (default: ConnectionStrings:spark, then the SPARK_REMOTE environment variable).</summary>
    public string? Remote { get; set; }

    /// <summary>
    /// Where Spark keeps each query's checkpoint (offsets and state): a path on the Spark cluster, not on this machine;
    /// shared storage (HDFS, S3, a volume) when there is more than one Spark worker. Each query uses a subdirectory.
    /// </summary>
    [NotEmpty]
    public string CheckpointDir { get; set; } = "/tmp/cryptoetl/checkpoints";

    /// <summary>Kafka as the Spark cluster reaches it (default: ConnectionStrings:kafka).</summary>
    public string? KafkaBootstrapServers { get; set; }

    /// <summary>Where a query without a checkpoint starts reading the snapshots: earliest, latest, or Spark's JSON offsets.</summary>
    public string StartingOffsets { get; set; } = "earliest";

    /// <summary>The micro-batch trigger (processing time).</summary>
    public string Trigger { get; set; } = "10 seconds";

    /// <summary>Caps the records one micro-batch reads (catch-up after downtime); unset: no cap.</summary>
    public long? MaxOffsetsPerTrigger { get; set; }

    /// <summary>spark.sql.shuffle.partitions for the queries' state; fixed in a query's checkpoint at its first start.</summary>
    [Between(1, 10_000)]
    public int ShufflePartitions { get; set; } = 6;

    /// <summary>How often run --engine spark reports the queries' status (each report also keeps the Spark Connect session alive).</summary>
    [Duration("between 1 second and 30 minutes, below the server's session timeout", Min = "00:00:01", Max = "00:30:00")]
    public TimeSpan StatusInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether run --engine spark stops its queries when the service stops (by default they keep running on Spark).</summary>
    public bool StopOnExit { get; set; }

    /// <summary>Aspire style: an AppHost gives the Spark Connect address as ConnectionStrings:spark; Spark:Remote, when set, wins.</summary>
    public void ApplyConnectionString(IConfiguration configuration)
    {
        if (string.IsNullOrEmpty(Remote) && configuration.GetConnectionString("spark") is { Length: > 0 } remote)
        {
            Remote = remote;
        }
    }

    public string? ResolvedRemote() => Remote is { Length: > 0 } remote ? remote : Environment.GetEnvironmentVariable(RemoteVariable);

    /// <param name="requireRemote">False for what needs no server (printing the plans).</param>
    public IReadOnlyList<string> Problems(bool requireRemote = true) =>
        [.. new SparkOptionsValidator().Problems(this).Where(p => requireRemote || !p.StartsWith(RemoteProblem, StringComparison.Ordinal))];

    private const string RemoteProblem = "Spark:Remote: ";

    /// <summary>The rules a single bound cannot state: the Spark Connect address, the offsets and the trigger's syntax.</summary>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!SparkRemote.TryParse(ResolvedRemote(), out _, out var error))
        {
            yield return new ValidationResult(RemoteProblem + error);
        }

        if (StartingOffsets is not ("earliest" or "latest") && !StartingOffsets.TrimStart().StartsWith('{'))
        {
            yield return new ValidationResult($"Spark:StartingOffsets must be earliest, latest or Spark's JSON offsets (got '{StartingOffsets}').");
        }

        if (!TriggerPattern().IsMatch(Trigger))
        {
            yield return new ValidationResult($"Spark:Trigger must be an interval such as '10 seconds' (got '{Trigger}').");
        }

        if (MaxOffsetsPerTrigger is < 1)
        {
            yield return new ValidationResult($"Spark:MaxOffsetsPerTrigger must be positive (got {MaxOffsetsPerTrigger}).");
        }
    }

    [GeneratedRegex("^[0-9]+ (millisecond|second|minute|hour)s?$")]
    private static partial Regex TriggerPattern();
}

[OptionsValidator]
public sealed partial class SparkOptionsValidator : IValidateOptions<SparkOptions>;

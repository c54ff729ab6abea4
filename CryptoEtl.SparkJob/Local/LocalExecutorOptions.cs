using CryptoEtl.Kafka.Stages;

namespace CryptoEtl.SparkJob.Local;

/// <summary>The <c>LocalExecutor</c> configuration section: the batch stage's settings, checkpoints and parallelism.</summary>
public sealed class LocalExecutorOptions() : BatchStageOptions(Section, "cryptoetl-sparkjob")
{
    public const string Section = "LocalExecutor";

    /// <summary>The Spark-style checkpoint location; default &lt;StateDir&gt;/checkpoints. Share it between instances.</summary>
    public string? CheckpointDir { get; set; }

    /// <summary>fsync checkpoints (survive power loss, not just a crash of the process).</summary>
    public bool FsyncCheckpoints { get; set; } = true;

    /// <summary>Partitions processed in parallel (0: one per core).</summary>
    public int Parallelism { get; set; }

    public override IReadOnlyList<string> Problems()
    {
        var problems = new List<string>(base.Problems());
        if (Parallelism is < 0 or > 256)
        {
            problems.Add($"LocalExecutor:Parallelism must be between 0 and 256 (got {Parallelism}).");
        }

        return problems;
    }
}

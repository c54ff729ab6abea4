using CryptoEtl.Kafka.Stages;
using CryptoEtl.ServiceDefaults.Options;
using Microsoft.Extensions.Options;

namespace CryptoEtl.SparkJob.Local;

/// <summary>The <c>LocalExecutor</c> configuration section: the batch stage's settings, checkpoints and parallelism.</summary>
[SettingsSection(Section)]
public sealed class LocalExecutorOptions() : BatchStageOptions("cryptoetl-sparkjob")
{
    public const string Section = "LocalExecutor";

    /// <summary>The Spark-style checkpoint location; default &lt;StateDir&gt;/checkpoints. Share it between instances.</summary>
    public string? CheckpointDir { get; set; }

    /// <summary>fsync checkpoints (survive power loss, not just a crash of the process).</summary>
    public bool FsyncCheckpoints { get; set; } = true;

    /// <summary>Partitions processed in parallel (0: one per core).</summary>
    [Between(0, 256)]
    public int Parallelism { get; set; }
}

[OptionsValidator]
public sealed partial class LocalExecutorOptionsValidator : IValidateOptions<LocalExecutorOptions>;

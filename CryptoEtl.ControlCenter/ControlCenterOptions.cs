using System.ComponentModel.DataAnnotations;
using CryptoEtl.Contracts;
using CryptoEtl.ServiceDefaults.Options;
using Microsoft.Extensions.Options;

namespace CryptoEtl.ControlCenter;

/// <summary>
/// The <c>ControlCenter</c> section: the consumer groups the console watches (the topics each reads, the lag chart), how
/// often the pages' live data is pushed, and whether the console may write to Kafka.
/// </summary>
[SettingsSection(Section)]
public sealed class ControlCenterOptions : IValidatableObject
{
    public const string Section = "ControlCenter";

    /// <summary>Group → its input topics. The defaults are the pipeline's (the job's and the loader's default groups).</summary>
    public Dictionary<string, string[]> Groups { get; set; } = new(StringComparer.Ordinal)
    {
        ["cryptoetl-sparkjob"] = [Topics.Snapshots],
        ["cryptoetl-processor"] = [Topics.Ticks, Topics.Candles, Topics.Alerts],
    };

    /// <summary>How often lag is sampled for the chart, and how long samples are kept.</summary>
    [Duration("between 1 second and 1 minute", Min = "00:00:01", Max = "00:01:00")]
    public TimeSpan LagSampleInterval { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan LagHistory { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often the status, topics, groups and dead letters are read and pushed to open pages (only while one is open).</summary>
    [Duration("between 1 second and 1 minute", Min = "00:00:01", Max = "00:01:00")]
    public TimeSpan LiveInterval { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// A console that only reads (as kafka-ui's <c>READ_ONLY</c>): producing, republishing, offset resets and dead-letter
    /// replay answer 403. The console has no sign-in of its own; a shared one should be read-only or behind one.
    /// </summary>
    public bool ReadOnly { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        foreach (var (group, topics) in Groups)
        {
            if (string.IsNullOrWhiteSpace(group) || topics is null or { Length: 0 } || topics.Any(string.IsNullOrWhiteSpace))
            {
                yield return new ValidationResult($"{Section}:Groups:{group} must name at least one topic (ControlCenter__Groups__{group}__0=<topic>).");
            }
        }

        if (LagHistory < LagSampleInterval || LagHistory > TimeSpan.FromHours(24))
        {
            yield return new ValidationResult($"{Section}:LagHistory must be between LagSampleInterval and 24 hours (got {LagHistory}).");
        }
    }
}

[OptionsValidator]
public sealed partial class ControlCenterOptionsValidator : IValidateOptions<ControlCenterOptions>;

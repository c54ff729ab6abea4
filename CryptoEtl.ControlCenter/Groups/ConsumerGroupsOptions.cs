using CryptoEtl.Contracts;

namespace CryptoEtl.ControlCenter.Groups;

/// <summary>The <c>ControlCenter</c> section: the consumer groups the console watches, the topics each reads, and the lag chart.</summary>
public sealed class ConsumerGroupsOptions
{
    public const string Section = "ControlCenter";

    /// <summary>Group → its input topics. The defaults are the pipeline's (the job's and the loader's default groups).</summary>
    public Dictionary<string, string[]> Groups { get; set; } = new(StringComparer.Ordinal)
    {
        ["cryptoetl-sparkjob"] = [Topics.Snapshots],
        ["cryptoetl-processor"] = [Topics.Ticks, Topics.Candles, Topics.Alerts],
    };

    /// <summary>How often lag is sampled for the chart, and how long samples are kept.</summary>
    public TimeSpan LagSampleInterval { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan LagHistory { get; set; } = TimeSpan.FromMinutes(10);

    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        foreach (var (group, topics) in Groups)
        {
            if (string.IsNullOrWhiteSpace(group) || topics is null or { Length: 0 } || topics.Any(string.IsNullOrWhiteSpace))
            {
                problems.Add($"{Section}:Groups:{group} must name at least one topic (ControlCenter__Groups__{group}__0=<topic>).");
            }
        }

        if (LagSampleInterval < TimeSpan.FromSeconds(1) || LagSampleInterval > TimeSpan.FromMinutes(1))
        {
            problems.Add($"{Section}:LagSampleInterval must be between 1 second and 1 minute (got {LagSampleInterval}).");
        }

        if (LagHistory < LagSampleInterval || LagHistory > TimeSpan.FromHours(24))
        {
            problems.Add($"{Section}:LagHistory must be between LagSampleInterval and 24 hours (got {LagHistory}).");
        }

        return problems;
    }
}

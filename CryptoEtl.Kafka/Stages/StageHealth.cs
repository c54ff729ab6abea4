using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CryptoEtl.Kafka.Stages;

/// <summary>
/// Whether a stage's batches go through, for /health: unhealthy while the stage is not running, and while its batches
/// fail (the error and for how long), so a stage whose partitions cannot advance never reports healthy. Records Kafka
/// lost before the stage read them are said in the description (the stage itself works, so it stays healthy).
/// </summary>
public sealed class StageHealth(TimeProvider clock)
{
    private readonly Lock _gate = new();
    private DateTimeOffset? _failingSince;
    private string? _lost;

    public bool Running { get; set; }

    public DateTimeOffset? LastSuccessAt { get; private set; }

    /// <summary>Why the last attempt failed, while no later one has succeeded.</summary>
    public string? Error { get; private set; }

    public void Succeeded()
    {
        lock (_gate)
        {
            _failingSince = null;
            Error = null;
            LastSuccessAt = clock.GetUtcNow();
        }
    }

    public void Failed(string error)
    {
        lock (_gate)
        {
            _failingSince ??= clock.GetUtcNow();
            Error = error;
        }
    }

    public void Lost(long total, (string Text, DateTimeOffset At) last)
    {
        lock (_gate)
        {
            _lost = $"; Kafka lost {total} record(s) before this stage read them (last at {last.At:O}: {last.Text})";
        }
    }

    public HealthCheckResult Check()
    {
        lock (_gate)
        {
            return this switch
            {
                { Running: false } => HealthCheckResult.Unhealthy("the stage is not running"),
                { Error: { } error } => HealthCheckResult.Unhealthy($"batches have failed for {(clock.GetUtcNow() - _failingSince!.Value).TotalSeconds:0} s: {error}"),
                _ => HealthCheckResult.Healthy((LastSuccessAt is { } last ? $"last batch {last:O}" : "waiting for records") + _lost),
            };
        }
    }
}

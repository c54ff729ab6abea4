namespace CryptoEtl.ServiceDefaults.Failures;

/// <summary>
/// Something a service depends on (a store, a disk, a server) cannot do its work now, for a reason that has nothing to
/// do with the data it was given: it is down, unreachable, full, or failing over. Waiting cures it. Stores throw it for
/// their drivers' errors of that kind, so that a stage waits for the outage to pass instead of setting records aside,
/// and an API answers 503 instead of 500.
/// </summary>
public sealed class OutageException(string dependency, string reason, Exception? inner = null)
    : Exception($"{dependency} is unavailable: {reason}", inner)
{
    /// <summary>What is out ("the store", "MongoDB", "the checkpoint directory").</summary>
    public string Dependency { get; } = dependency;

    public string Reason { get; } = reason;
}

namespace CryptoEtl.Kafka.Stages;

/// <summary>
/// Which try of a batch this is (the first is 1) and why the one before failed: an outage of something the stage
/// depends on (<see cref="Outages"/>), waited out, or another reason. After <see cref="BatchStageOptions.PoisonAfterFailures"/>
/// tries in a row that failed for another reason, <see cref="SuspectsPoison"/> tells the sink to take the records one at a
/// time and set aside the ones that fail alone while the rest of the sink demonstrably works.
/// </summary>
public readonly record struct BatchAttempt(int Number, Exception? LastError, bool SuspectsPoison, bool AfterOutage = false)
{
    public static BatchAttempt First { get; } = new(1, null, false);

    public bool IsRetry => Number > 1;
}

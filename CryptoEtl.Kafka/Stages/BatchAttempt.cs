namespace CryptoEtl.Kafka.Stages;

/// <summary>
/// Which try of a batch this is (the first is 1) and why the one before failed. After
/// <see cref="BatchStageOptions.PoisonAfterFailures"/> failed tries, <see cref="SuspectsPoison"/> tells the sink to take
/// the records one at a time and set aside the ones that fail.
/// </summary>
public readonly record struct BatchAttempt(int Number, Exception? LastError, bool SuspectsPoison)
{
    public static BatchAttempt First { get; } = new(1, null, false);

    public bool IsRetry => Number > 1;
}

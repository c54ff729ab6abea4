using Confluent.Kafka;
using CryptoEtl.Kafka.Stages;

namespace CryptoEtl.TestSupport;

/// <summary>
/// A batch stage consuming on a thread of its own, as its service runs it, until disposed; then its sink is disposed,
/// and the producer it was given.
/// </summary>
public sealed class RunningStage : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly KafkaBatchStage _stage;
    private readonly IDisposable? _producer;

    public RunningStage(KafkaBatchStage stage, ConsumerConfig consumer, IDisposable? producer = null)
    {
        _stage = stage;
        _producer = producer;
        _thread = new Thread(() => stage.Run(consumer, _stop.Token)) { IsBackground = true, Name = stage.Name };
        _thread.Start();
    }

    public BatchStageStatus Status => _stage.Status;

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join(TimeSpan.FromSeconds(30));
        _stage.Sink.Dispose();
        _producer?.Dispose();
        _stop.Dispose();
    }
}

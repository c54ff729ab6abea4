using System.Collections.Concurrent;

namespace CryptoEtl.ControlCenter.Sampling;

/// <summary>Samples per name (a group, a topic) over the last <c>window</c>, for the console's charts; safe across threads.</summary>
public sealed class SampleHistory<TSample>(Func<TSample, DateTimeOffset> timeOf, TimeSpan window)
{
    private readonly ConcurrentDictionary<string, Queue<TSample>> _samples = new(StringComparer.Ordinal);

    public void Record(string name, TSample sample)
    {
        var samples = _samples.GetOrAdd(name, _ => new Queue<TSample>());
        lock (samples)
        {
            samples.Enqueue(sample);
            while (samples.Count > 0 && timeOf(samples.Peek()) < timeOf(sample) - window)
            {
                samples.Dequeue();
            }
        }
    }

    public List<TSample> Of(string name)
    {
        if (!_samples.TryGetValue(name, out var samples))
        {
            return [];
        }

        lock (samples)
        {
            return [.. samples];
        }
    }
}

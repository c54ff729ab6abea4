using System.Diagnostics;
using System.Security.Cryptography;

namespace CryptoEtl.Bench.Measuring;

/// <summary>
/// How much CPU this machine gives right now: a fixed piece of work (SHA-256 over 64 KB) done for a moment on one thread,
/// then on one thread per core at once. On a quiet machine of its own the second figure is the first times the cores;
/// on a shared virtual machine whose neighbours are busy, or one slowed down, it is less. Run beside a measurement, it
/// tells a slower benchmark from a slower machine.
/// </summary>
internal sealed record MachineProbe(double SingleThread, double AllCores)
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(400);

    /// <summary>How many cores' worth of work the machine did with every core busy (the core count on a machine of its own).</summary>
    public double Parallelism => AllCores / SingleThread;

    public static MachineProbe Measure()
    {
        var single = Hashing(1);
        var all = Hashing(Environment.ProcessorCount);
        return new MachineProbe(single, all);
    }

    public override string ToString() => FormattableString.Invariant($"{SingleThread:0} hashes/s on one thread, {Parallelism:0.00} cores' worth on {Environment.ProcessorCount}");

    /// <summary>Hashes a second, all threads together.</summary>
    private static double Hashing(int threads)
    {
        var counts = new long[threads];
        var clock = Stopwatch.StartNew();
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            Span<byte> data = stackalloc byte[64 * 1024];
            Span<byte> hash = stackalloc byte[32];
            while (clock.Elapsed < Window)
            {
                SHA256.HashData(data, hash);
                data[0] = hash[0];
                counts[t]++;
            }
        });
        return counts.Sum() / clock.Elapsed.TotalSeconds;
    }
}

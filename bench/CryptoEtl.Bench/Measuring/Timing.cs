using System.Diagnostics;
using Spectre.Console;

namespace CryptoEtl.Bench.Measuring;

/// <summary>
/// One timed run of <see cref="Count"/> records: its wall time, the CPU time the benchmark's process spent meanwhile (the
/// embedded broker and the stages measured in process included), and when its progress first moved, so that start-up
/// (a consumer group's join, the first fetch) can be told from throughput.
/// </summary>
internal sealed record Timing(int Count, double Seconds, double CpuSeconds, double StartSeconds, double StartCount)
{
    public double Rate => Count / Seconds;

    /// <summary>Records a second after the first progress: the run without its start-up.</summary>
    public double SteadyRate => Seconds > StartSeconds ? (Count - StartCount) / (Seconds - StartSeconds) : Rate;

    /// <summary>CPU seconds per wall second: 2 means both cores of this machine were busy for the process throughout.</summary>
    public double CoresUsed => CpuSeconds / Seconds;

    public double CpuMicrosecondsPerRecord => CpuSeconds * 1e6 / Count;

    /// <summary>Runs <paramref name="run"/> under a progress bar and times it.</summary>
    public static Timing Measure(string name, int count, Action<TimedProgress> run)
    {
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        TimedProgress? progress = null;
        AnsiConsole.Progress().AutoClear(false).Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context => run(progress = new TimedProgress(context.AddTask(name, maxValue: count), clock)));
        var seconds = clock.Elapsed.TotalSeconds;
        process.Refresh();
        var (startSeconds, startCount) = progress?.First ?? (seconds, count);
        return new Timing(count, seconds, (process.TotalProcessorTime - cpu).TotalSeconds, startSeconds, startCount);
    }
}

/// <summary>A progress bar that remembers when it first moved.</summary>
internal sealed class TimedProgress(ProgressTask task, Stopwatch clock)
{
    public (double Seconds, double Value)? First { get; private set; }

    public double MaxValue => task.MaxValue;

    public double Value
    {
        get => task.Value;
        set
        {
            if (value > 0 && First is null)
            {
                First = (clock.Elapsed.TotalSeconds, value);
            }

            task.Value = value;
        }
    }

    public void Increment(double value) => Value += value;
}

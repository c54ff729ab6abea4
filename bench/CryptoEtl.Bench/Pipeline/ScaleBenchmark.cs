using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using CryptoEtl.Contracts;
using Spectre.Console;

namespace CryptoEtl.Bench.Pipeline;

/// <summary>
/// The pipeline (<see cref="PipelineRig"/>) at market sizes: per size, on a fresh broker and fresh services, a catch-up
/// (one Ingest run of the whole market into an empty pipeline, timed from its trigger until the job and the loader have
/// read everything), then, once drained, freshness at a steady rate (Ingest runs of the whole market at the cadence the
/// rate needs; the first page of 1,000 coins of <c>GET /api/coins</c> polled). It reports the services' peak resident
/// memory and what the job's checkpoints wrote per batch, from its debug log.
/// </summary>
internal sealed partial class ScaleBenchmark(ScaleBenchmark.Settings settings)
{
    public sealed record Settings(IReadOnlyList<int> Sizes, int Rate, TimeSpan MinStep);

    private static readonly IReadOnlyDictionary<string, string> JobDebugLog = new Dictionary<string, string>
    {
        ["Logging__LogLevel__CryptoEtl.SparkJob.Local.LocalExecutor"] = "Debug",
    };

    public async Task<int> RunAsync()
    {
        AnsiConsole.MarkupLine($"[bold]scale benchmark[/]: {string.Join(", ", settings.Sizes.Select(s => $"{s:N0}"))} coins; freshness at {settings.Rate:N0} snapshots/s; {Environment.ProcessorCount} cores");
        var lines = new List<string>();
        foreach (var coins in settings.Sizes)
        {
            lines.Add(await MeasureAsync(coins));
        }

        lines.ForEach(Console.WriteLine);
        return 0;
    }

    private async Task<string> MeasureAsync(int coins)
    {
        var cadence = TimeSpan.FromSeconds((double)coins / settings.Rate);
        var step = new PipelineRig.Step(TimeSpan.FromTicks(Math.Max(settings.MinStep.Ticks, 3 * cadence.Ticks)), cadence);
        // The embedded broker drops the oldest records of a partition past about 25,000: enough partitions for a whole
        // catch-up's backlog (a tick and up to three candle updates a snapshot).
        await using var environment = await BenchEnvironment.StartAsync([(Topics.Snapshots, coins * 3 / 2), (Topics.Ticks, coins * 3 / 2), (Topics.Candles, coins * 9 / 2)]);
        await using var rig = await AnsiConsole.Status().StartAsync($"{coins:N0} coins: starting ingest, sparkjob and processor",
            _ => PipelineRig.StartAsync(environment, coins, freshnessPages: 1, JobDebugLog));

        var (run, published, drained, peakDuringCatchUp) = await CatchUpAsync(rig, coins);
        var catchUpBatches = CheckpointWrites(rig.Job.Transcript);
        var catchUpRate = run.Published / (published + drained).TotalSeconds;
        AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"  {coins:N0} coins: catch-up of {run.Published:N0} snapshots ({run.Rejected:N0} rejected): Ingest published them in {published.TotalSeconds:0.0} s, drained {drained.TotalSeconds:0.0} s later: {catchUpRate:N0}/s; peak RSS job {peakDuringCatchUp.Job:0} MB, processor {peakDuringCatchUp.Processor:0} MB; {Describe(catchUpBatches)}"));

        var result = await rig.StepAsync(settings.Rate, $"{coins:N0} coins at {settings.Rate:N0}/s", step);
        var stepBatches = CheckpointWrites(rig.Job.Transcript).Skip(catchUpBatches.Count).ToList();
        AnsiConsole.MarkupLine($"  {coins:N0} coins at {settings.Rate:N0}/s: {Describe(stepBatches)}");
        rig.EnsureRunning(); // no restart: a service that died would have ended the step
        var (job, processor) = (rig.Job.ResidentMegabytes().Peak, rig.Processor.ResidentMegabytes().Peak);
        var perBatch = stepBatches.Count == 0 ? 0 : stepBatches.Average(b => b.Written) / 1024;
        return string.Create(CultureInfo.InvariantCulture,
            $"scale: {coins} coins: catch-up {catchUpRate:0} snapshots/s, p99 freshness {result.P99:0} ms at {settings.Rate}/s, rss processor {processor:0} MB, sparkjob {job:0} MB, checkpoint {perBatch:0.0} KB/batch");
    }

    /// <summary>One run of the whole market into the empty pipeline: how long Ingest took, then how long until nothing was left to read.</summary>
    private static async Task<(Contracts.Api.RunView Run, TimeSpan Published, TimeSpan Drained, (double Job, double Processor) Peak)> CatchUpAsync(PipelineRig rig, int coins)
    {
        var peak = (Job: 0d, Processor: 0d);
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = (Math.Max(peak.Job, rig.Job.ResidentMegabytes().Now), Math.Max(peak.Processor, rig.Processor.ResidentMegabytes().Now));
                await Task.Delay(250, CancellationToken.None);
            }
        });
        try
        {
            return await AnsiConsole.Status().StartAsync($"{coins:N0} coins: catch-up", async status =>
            {
                var started = Stopwatch.GetTimestamp();
                var run = await rig.IngestRunAsync(TimeSpan.FromMinutes(15));
                var published = Stopwatch.GetElapsedTime(started);
                status.Status($"{coins:N0} coins: Ingest published {run.Published:N0} in {published.TotalSeconds:0} s; draining");
                var drained = await rig.DrainAsync(TimeSpan.FromMinutes(30));
                return (run, published, drained, peak);
            });
        }
        finally
        {
            await sampling.CancelAsync();
            await sampler;
        }
    }

    /// <summary>Per batch of the job, what its checkpoints wrote and the state it was measured against (the last whole snapshots).</summary>
    private static List<(long Written, long State)> CheckpointWrites(string transcript) =>
        [.. BatchLine().Matches(transcript).Select(m => (long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)))];

    private static string Describe(List<(long Written, long State)> batches) => batches.Count == 0
        ? "no batch"
        : string.Create(CultureInfo.InvariantCulture,
            $"{batches.Count:N0} batches, checkpoints wrote {batches.Average(b => b.Written) / 1024:0.0} KB a batch (max {batches.Max(b => b.Written) / 1024:0} KB), {100.0 * batches.Sum(b => b.Written) / Math.Max(1, batches.Sum(b => b.State)):0.0} % of the state (last {batches[^1].State / 1024:0} KB)");

    [GeneratedRegex(@"checkpoint wrote (\d+) B against a state of (\d+) B")]
    private static partial Regex BatchLine();
}

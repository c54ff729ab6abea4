using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using CryptoEtl.Contracts;
using Spectre.Console;

namespace CryptoEtl.Bench.Pipeline;

/// <summary>
/// The pipeline (<see cref="PipelineRig"/>) at market sizes: per size, on a fresh broker and fresh services, a catch-up
/// (one Ingest pass over the whole market while the job and the Processor are down, then their start, timed from the
/// job's first commit until the job and the loader have read everything), then, once drained, freshness at a steady rate
/// (Ingest runs of the whole market at the cadence the rate needs; the first page of 1,000 coins of <c>GET /api/coins</c>
/// polled). It reports the services' peak resident memory and what the job's checkpoints wrote per batch, from its
/// debug log.
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
        var duration = TimeSpan.FromTicks(Math.Max(settings.MinStep.Ticks, 3 * cadence.Ticks));
        var step = new PipelineRig.Step(duration, TimeSpan.FromTicks(Math.Max(cadence.Ticks, duration.Ticks / 4)));
        // The embedded broker drops the oldest records of a partition past about 25,000: enough partitions for a whole
        // catch-up's backlog (a tick and up to three candle updates a snapshot).
        await using var environment = await BenchEnvironment.StartAsync([(Topics.Snapshots, coins * 3 / 2), (Topics.Ticks, coins * 3 / 2), (Topics.Candles, coins * 9 / 2)]);
        await using var rig = await AnsiConsole.Status().StartAsync($"{coins:N0} coins: starting the simulator and ingest",
            _ => PipelineRig.StartAsync(environment, coins, freshnessPages: 1, JobDebugLog, withPipeline: false));

        var catchUp = await CatchUpAsync(rig, coins);
        var catchUpBatches = CheckpointWrites(rig.Job.Transcript);
        AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture,
            $"  {coins:N0} coins: Ingest's pass published {catchUp.Published:N0} snapshots in {catchUp.Pass.TotalSeconds:0.0} s ({catchUp.Published / catchUp.Pass.TotalSeconds:N0}/s); then the job and the Processor started and read that backlog: first commit {catchUp.FirstCommit.TotalSeconds:0.0} s after their start, drained {catchUp.Drained.TotalSeconds:0.0} s after it: {catchUp.Rate:N0}/s; peak RSS job {catchUp.PeakJob:0} MB, processor {catchUp.PeakProcessor:0} MB; {Describe(catchUpBatches)}"));

        // The services have only just started: their first seconds of steady work (JIT, the store's first pages) are not
        // measured (bench pipeline's first steps at 2,000 coins: p50 7.8 s in the warm-up, 0.56 s after it).
        await rig.StepAsync(settings.Rate, $"{coins:N0} coins: warm-up", new PipelineRig.Step(settings.MinStep, settings.MinStep / 4));
        await rig.DrainAsync(TimeSpan.FromMinutes(10));
        var result = await rig.StepAsync(settings.Rate, $"{coins:N0} coins at {settings.Rate:N0}/s", step);
        var stepBatches = CheckpointWrites(rig.Job.Transcript).Skip(catchUpBatches.Count).ToList();
        AnsiConsole.MarkupLine($"  {coins:N0} coins at {settings.Rate:N0}/s: {Describe(stepBatches)}");
        rig.EnsureRunning(); // no restart: a service that died would have ended the step
        var (job, processor) = (rig.Job.ResidentMegabytes().Peak, rig.Processor.ResidentMegabytes().Peak);
        var perBatch = stepBatches.Count == 0 ? 0 : stepBatches.Average(b => b.Written) / 1024;
        return string.Create(CultureInfo.InvariantCulture,
            $"scale: {coins} coins: catch-up {catchUp.Rate:0} snapshots/s, p99 freshness {result.P99:0} ms at {settings.Rate}/s, rss processor {processor:0} MB, sparkjob {job:0} MB, checkpoint {perBatch:0.0} KB/batch; p99 freshness by third of the step {result.P99ByThird?.ToString("0") ?? "-"} ms");
    }

    private sealed record CatchUp(int Published, TimeSpan Pass, TimeSpan FirstCommit, TimeSpan Drained, double PeakJob, double PeakProcessor)
    {
        /// <summary>Snapshots a second from the job's first commit until the job and the loader had read everything.</summary>
        public double Rate => Published / Drained.TotalSeconds;
    }

    /// <summary>
    /// One Ingest pass over the whole market while the job and the Processor are down, then their catch-up: from their
    /// first commit (group joins and start-up are not throughput) until nothing is left to read.
    /// </summary>
    private static async Task<CatchUp> CatchUpAsync(PipelineRig rig, int coins) =>
        await AnsiConsole.Status().StartAsync($"{coins:N0} coins: Ingest's pass", async status =>
        {
            var started = Stopwatch.GetTimestamp();
            var run = await rig.IngestRunAsync(TimeSpan.FromMinutes(15));
            var pass = Stopwatch.GetElapsedTime(started);
            status.Status($"{coins:N0} coins: {run.Published:N0} published in {pass.TotalSeconds:0} s; starting the job and the Processor");
            await rig.StartPipelineAsync();
            var peak = (Job: 0d, Processor: 0d);
            TimeSpan? firstCommit = null;
            // The job's lag stays at the whole backlog until its first commit, so the drain cannot end before it.
            var drained = await rig.DrainAsync(TimeSpan.FromMinutes(30), (at, job, loader) =>
            {
                peak = (Math.Max(peak.Job, rig.Job.ResidentMegabytes().Now), Math.Max(peak.Processor, rig.Processor.ResidentMegabytes().Now));
                firstCommit ??= job < run.Published ? at : null;
                status.Status($"{coins:N0} coins: catch-up: job lag {job:N0}, loader lag {loader:N0}");
            });
            return new CatchUp(run.Published, pass, firstCommit!.Value, drained - firstCommit.Value, peak.Job, peak.Processor);
        });

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

using System.Globalization;
using CryptoEtl.Bench.Measuring;
using Spectre.Console;

namespace CryptoEtl.Bench.Pipeline;

/// <summary>
/// The whole pipeline as the embedded run has it: the broker, the registry and the CoinGecko simulator (in this process,
/// as the embedded run's DevServices), Ingest, the job's local executor and the Processor with its LiteDB store (each its
/// own process). The benchmark plays the scheduler: it triggers Ingest runs of <c>coins</c> snapshots at the cadence a
/// rate needs, one step per rate, rising until a stage falls behind. Freshness is measured per record from the coin's
/// <c>last_updated</c> to the moment a <c>GET /api/coins</c> answer that holds it arrives (every page, 1,000 coins each, read
/// back to back, at most every 100 ms, so a figure includes up to one poll of observation delay).
/// </summary>
internal sealed class PipelineBenchmark(BenchEnvironment environment, PipelineBenchmark.Settings settings)
{
    public sealed record Settings(int Coins, IReadOnlyList<int> Rates, TimeSpan Step, TimeSpan Settle, int Repeats);

    public async Task<int> RunAsync()
    {
        AnsiConsole.MarkupLine($"[bold]pipeline benchmark[/]: {settings.Coins:N0} coins per Ingest run, rates {string.Join(", ", settings.Rates.Select(r => $"{r:N0}"))}/s, "
            + $"{settings.Step.TotalSeconds:0} s a step (the first {settings.Settle.TotalSeconds:0} s not measured); {Environment.ProcessorCount} cores");
        await using var rig = await AnsiConsole.Status().StartAsync("starting ingest, sparkjob and processor", _ => PipelineRig.StartAsync(environment, settings.Coins));
        var step = new PipelineRig.Step(settings.Step, settings.Settle);
        // JIT, the store's first pages and the consumers' first assignments, measured nowhere.
        await rig.StepAsync(settings.Rates[0], "warm-up", step);
        var results = new List<PipelineRig.StepResult>();
        foreach (var rate in settings.Rates)
        {
            // The first rate, whose freshness is the figure reported, is measured several times to show its spread.
            var runs = rate == settings.Rates[0] ? settings.Repeats : 1;
            for (var run = 1; run <= runs; run++)
            {
                // A step starts on an empty pipeline: the backlog of the one before is not measured in it.
                var drained = await rig.DrainAsync(TimeSpan.FromMinutes(5));
                AnsiConsole.MarkupLine(string.Create(CultureInfo.InvariantCulture, $"  drained in {drained.TotalSeconds:0.0} s"));
                var result = await rig.StepAsync(rate, runs == 1 ? $"{rate:N0}/s" : $"{rate:N0}/s ({run}/{runs})", step);
                results.Add(result);
                if (result.Behind is not null)
                {
                    return Report(results);
                }
            }
        }

        return Report(results);
    }

    private static int Report(List<PipelineRig.StepResult> results)
    {
        var table = new Table().AddColumns("target /s", "published /s", "served", "p50 ms", "p95 ms", "p99 ms", "job lag (growth)", "loader lag (growth)", "");
        foreach (var r in results)
        {
            table.AddRow($"{r.Rate:N0}", $"{r.Achieved:N0}", $"{r.Served:N0}", $"{r.P50:0}", $"{r.P95:0}", $"{r.P99:0}", $"{r.Job.Last:N0} ({r.Job.Slope:+0;-0}/s)", $"{r.Loader.Last:N0} ({r.Loader.Slope:+0;-0}/s)",
                r.Behind is null ? "kept up" : $"{r.Behind} fell behind");
        }

        AnsiConsole.Write(table);
        var first = results[0];
        var firstP99 = new Spread(results.Where(r => r.Rate == first.Rate).Select(r => r.P99));
        var sustained = results.Where(r => r.Behind is null).ToList();
        var saturated = results.FirstOrDefault(r => r.Behind is not null);
        var saturation = sustained.Count == 0 ? "below the first rate" : $"{sustained[^1].Achieved:0}/s";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"pipeline: p99 {firstP99.ToString("0")} ms at {first.Rate}/s, saturates at {(saturated is null ? $"more than {saturation}" : saturation)} ({saturated?.Behind ?? "no stage"} first)"));
        return 0;
    }
}

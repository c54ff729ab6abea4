using Spectre.Console;

namespace CryptoEtl.AppHost.Embedded;

/// <summary>The console view of the embedded run: a live table on a terminal, a status line otherwise.</summary>
public static class StatusView
{
    public static Spectre.Console.Rendering.IRenderable Render(string source, IReadOnlyList<ResourceSummary> resources, PipelineCounts counts)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"CryptoEtl embedded run · source: [bold]{Markup.Escape(source)}[/]")
            .AddColumns("resource", "realised as", "state", "endpoint", "restarts");
        foreach (var r in resources)
        {
            var color = r.State switch { "Running" => "green", "Stopped" => "red", _ => "yellow" };
            table.AddRow(Markup.Escape(r.Name), Markup.Escape(r.Realisation), $"[{color}]{r.State}[/]", Markup.Escape(r.Endpoint ?? ""), r.Restarts.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return new Rows(table, new Markup(Markup.Escape(Line(counts))), new Markup("[grey]Ctrl+C stops everything in order. Logs: <state-dir>/logs/<resource>.log[/]"));
    }

    /// <summary>One line: snapshots, ticks, candles, alerts, dead letters, stored documents, runs.</summary>
    public static string Line(PipelineCounts counts)
    {
        long Topic(string name) => counts.Topics.GetValueOrDefault(name);
        return $"snapshots {Topic(CryptoEtl.Contracts.Topics.Snapshots)} · ticks {Topic(CryptoEtl.Contracts.Topics.Ticks)} · candles {Topic(CryptoEtl.Contracts.Topics.Candles)}"
            + $" · alerts {Topic(CryptoEtl.Contracts.Topics.Alerts)} · dead letters {Topic(CryptoEtl.Contracts.Topics.DeadLetter)}"
            + $" · stored {string.Join(", ", counts.Collections.Select(kv => $"{kv.Key} {kv.Value}"))}"
            + $" · runs {string.Join(", ", counts.Runs.Select(kv => $"{kv.Key} {kv.Value}"))}";
    }
}

using CryptoEtl.DevServices.Hosting;

namespace CryptoEtl.AppHost.Embedded;

/// <summary>
/// The embedded run's stand-in for Confluent Control Center: a page listing every resource with its state, endpoint
/// and restarts, and the pipeline's counts (records per topic, stored documents, runs), refreshed every two seconds.
/// </summary>
public static class DashboardServer
{
    public static WebApplication Build(Func<CancellationToken, Task<DashboardStatus>> status, Action<ILoggingBuilder> logging)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        logging(builder.Logging);
        builder.Services.AddHealthChecks();
        var app = builder.Build();
        app.MapHealthChecks("/health");
        app.MapHealthChecks("/alive");
        app.MapGet("/api/status", async (CancellationToken cancellation) => Results.Json(await status(cancellation), RunSummary.Format));
        app.MapGet("/", () => Results.Content(Page, "text/html; charset=utf-8"));
        return app;
    }

    private const string Page = """
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <title>CryptoEtl control center</title>
          <style>
            body { font-family: system-ui, sans-serif; margin: 2rem; color: #1d2330; }
            h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
            table { border-collapse: collapse; min-width: 40rem; }
            th, td { text-align: left; padding: .3rem .8rem; border-bottom: 1px solid #dde; }
            .Running { color: #137333; } .Restarting, .Unhealthy, .Starting { color: #b06000; } .Stopped { color: #c5221f; }
            #source { font-weight: bold; }
          </style>
        </head>
        <body>
          <h1>CryptoEtl control center <small>(embedded run)</small></h1>
          <p>Data source: <span id="source">?</span> · updated <span id="updated">never</span></p>
          <h2>Resources</h2>
          <table id="resources"><thead><tr><th>resource</th><th>realised as</th><th>state</th><th>endpoint</th><th>restarts</th></tr></thead><tbody></tbody></table>
          <h2>Pipeline</h2>
          <table id="counts"><thead><tr><th>what</th><th>count</th></tr></thead><tbody></tbody></table>
          <script>
            const cell = (text, cls) => { const td = document.createElement('td'); td.textContent = text ?? ''; if (cls) td.className = cls; return td; };
            async function refresh() {
              try {
                const status = await (await fetch('/api/status')).json();
                document.getElementById('source').textContent = status.source;
                document.getElementById('updated').textContent = new Date().toLocaleTimeString();
                const resources = document.querySelector('#resources tbody');
                resources.replaceChildren(...status.resources.map(r => {
                  const tr = document.createElement('tr');
                  tr.append(cell(r.name), cell(r.realisation), cell(r.state, r.state), cell(r.endpoint), cell(r.restarts));
                  return tr;
                }));
                const rows = [];
                for (const [group, values] of Object.entries(status.counts)) {
                  for (const [name, value] of Object.entries(values)) rows.push([`${group}: ${name}`, value]);
                }
                document.querySelector('#counts tbody').replaceChildren(...rows.map(([name, value]) => {
                  const tr = document.createElement('tr');
                  tr.append(cell(name), cell(value));
                  return tr;
                }));
              } catch (e) { document.getElementById('updated').textContent = 'unreachable'; }
            }
            refresh(); setInterval(refresh, 2000);
          </script>
        </body>
        </html>
        """;
}

public sealed record DashboardStatus(string Source, IReadOnlyList<ResourceSummary> Resources, PipelineCounts Counts);

using System.CommandLine;
using CryptoEtl.DevServices.Hosting;

namespace CryptoEtl.DevServices.Scheduler;

/// <summary><c>dotnet run --project CryptoEtl.DevServices -- scheduler</c>: the embedded scheduler on its own.</summary>
internal static class SchedulerCommand
{
    public static Command Create()
    {
        var schedule = new Option<string>("--schedule") { Description = "The schedule file.", DefaultValueFactory = _ => Path.Combine("docker", "airflow", "dags", "crypto_etl_schedule.json") };
        var environment = new Option<string?>("--environment") { Description = "An environments entry of the schedule file (default: CRYPTOETL_ENVIRONMENT)." };
        var ingest = new Option<Uri?>("--ingest") { Description = "Ingest's base URL (default: services__ingest__http__0, as Aspire passes it)." };
        var processor = new Option<Uri?>("--processor") { Description = "Processor's base URL (default: services__processor__http__0)." };
        var port = new Option<int>("--port") { Description = "Port to listen on (0 picks a free one).", DefaultValueFactory = _ => 8095 };
        var runAtStart = new Option<bool>("--run-at-start") { Description = "Trigger one DAG run as soon as the scheduler is up, then follow the schedule." };

        var command = new Command("scheduler", "Run the embedded scheduler: the Airflow DAG's schedule against Ingest and Processor.") { schedule, environment, ingest, processor, port, runAtStart };
        command.SetAction(async (parse, cancellation) =>
        {
            var settings = new ConfigurationBuilder().AddEnvironmentVariables().Build();
            var ingestUrl = parse.GetValue(ingest) ?? ServiceUrl(settings, "ingest");
            var processorUrl = parse.GetValue(processor) ?? ServiceUrl(settings, "processor");
            if (ingestUrl is null || processorUrl is null)
            {
                await Console.Error.WriteLineAsync("Give the services' addresses: --ingest <url> and --processor <url> (or services__ingest__http__0 and services__processor__http__0).");
                return 2;
            }

            PipelineSchedule loaded;
            try
            {
                loaded = PipelineSchedule.Load(parse.GetValue(schedule)!, parse.GetValue(environment) ?? Environment.GetEnvironmentVariable("CRYPTOETL_ENVIRONMENT"));
            }
            catch (ScheduleException e)
            {
                await Console.Error.WriteLineAsync(e.Message);
                return 2;
            }

            await using var app = SchedulerServer.Build($"http://127.0.0.1:{parse.GetValue(port)}", loaded, ingestUrl, processorUrl);
            return await app.RunServiceAsync(cancellation, async () =>
            {
                if (parse.GetValue(runAtStart))
                {
                    // The history may not be open yet (a full disk): the run waits in the background instead of the start.
                    _ = TriggerAtStartAsync(app.Services.GetRequiredService<PipelineScheduler>(), cancellation);
                }

                Console.WriteLine($"scheduler.url={app.ListeningAddress().ToString().TrimEnd('/')}");
                Console.WriteLine($"Following '{loaded.Cron}' ({loaded.DagId}); history: GET /scheduler/runs; run now: POST /scheduler/runs.");
                await Task.CompletedTask;
            });
        });
        return command;
    }

    /// <summary>Triggers the first DAG run once the history can take it.</summary>
    private static async Task TriggerAtStartAsync(PipelineScheduler scheduler, CancellationToken cancellation)
    {
        while (!cancellation.IsCancellationRequested)
        {
            try
            {
                await scheduler.TriggerAsync(cancellation);
                Console.WriteLine("Triggered the first DAG run at start.");
                return;
            }
            catch (CryptoEtl.ServiceDefaults.Failures.OutageException e)
            {
                Console.WriteLine($"The first DAG run waits: {e.Message}");
                await Task.Delay(TimeSpan.FromSeconds(5), cancellation).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    /// <summary>An address given the Aspire way (services__&lt;name&gt;__http__0).</summary>
    private static Uri? ServiceUrl(IConfiguration settings, string service) =>
        settings[$"services:{service}:http:0"] is { Length: > 0 } url ? new Uri(url) : null;
}

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
        var ingest = new Option<Uri>("--ingest") { Description = "Ingest's base URL.", Required = true };
        var processor = new Option<Uri>("--processor") { Description = "Processor's base URL.", Required = true };
        var port = new Option<int>("--port") { Description = "Port to listen on (0 picks a free one).", DefaultValueFactory = _ => 8095 };

        var command = new Command("scheduler", "Run the embedded scheduler: the Airflow DAG's schedule against Ingest and Processor.") { schedule, environment, ingest, processor, port };
        command.SetAction(async (parse, cancellation) =>
        {
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

            await using var app = SchedulerServer.Build($"http://127.0.0.1:{parse.GetValue(port)}", loaded, parse.GetValue(ingest)!, parse.GetValue(processor)!);
            await app.StartAsync(cancellation);
            Console.WriteLine($"scheduler.url={app.ListeningAddress().ToString().TrimEnd('/')}");
            Console.WriteLine($"Following '{loaded.Cron}' ({loaded.DagId}); history: GET /scheduler/runs; run now: POST /scheduler/runs.");
            await app.WaitForShutdownAsync(cancellation);
            return 0;
        });
        return command;
    }
}

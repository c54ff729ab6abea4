using CryptoEtl.Contracts.Api;
using CryptoEtl.Relational;

namespace CryptoEtl.DevServices.Scheduler;

/// <summary>Hosts the embedded scheduler: standalone (<c>scheduler</c> command) or inside the AppHost's embedded run.</summary>
public static class SchedulerServer
{
    public const string ServiceName = "scheduler";

    /// <param name="settings">Configuration on top of the environment: ConnectionStrings:postgres, StateDir, Logging.</param>
    public static WebApplication Build(string url, PipelineSchedule schedule, Uri ingest, Uri processor, IEnumerable<KeyValuePair<string, string?>>? settings = null, TimeProvider? clock = null, Action<ILoggingBuilder>? logging = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        logging?.Invoke(builder.Logging);
        builder.WebHost.UseUrls(url);
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.AddServiceDefaults();
        builder.Environment.ApplicationName = ServiceName;
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter(System.Text.Json.JsonNamingPolicy.CamelCase)));

        var time = clock ?? TimeProvider.System;
        var configuration = builder.Configuration;
        builder.Services.AddSingleton(time);
        builder.Services.AddSingleton(schedule);
        builder.AddRelationalStore(ServiceName, "scheduler-runs.db");
        builder.Services.AddSingleton<SchedulerHistory>();
        builder.Services.AddServiceClient<IngestClient>(IngestClient.ServiceName, ingest);
        builder.Services.AddServiceClient<ProcessorClient>(ProcessorClient.ServiceName, processor);
        builder.Services.AddSingleton<IPipelineTasks, HttpPipelineTasks>();
        builder.Services.AddSingleton<PipelineScheduler>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<PipelineScheduler>());

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapDefaultEndpoints();
        app.MapSchedulerApi();
        return app;
    }
}

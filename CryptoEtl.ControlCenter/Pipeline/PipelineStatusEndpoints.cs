using CryptoEtl.Contracts.Api;

namespace CryptoEtl.ControlCenter.Pipeline;

public static class PipelineStatusEndpoints
{
    /// <summary>The status probe and the typed clients of the services it reads (found by service discovery).</summary>
    public static IServiceCollection AddPipelineStatus(this IServiceCollection services)
    {
        services.AddServiceClient<IngestClient>(IngestClient.ServiceName);
        services.AddServiceClient<ProcessorClient>(ProcessorClient.ServiceName);
        services.AddServiceClient<SchedulerClient>(SchedulerClient.ServiceName);
        services.AddScoped<PipelineStatusProbe>();
        return services;
    }

    /// <summary>GET /api/status: the source, each service's health and the pipeline's counts.</summary>
    public static void MapPipelineStatus(this WebApplication app) =>
        app.MapGet("/api/status", async (PipelineStatusProbe probe, CancellationToken cancellation) => TypedResults.Ok(await probe.ReadAsync(cancellation)))
            .WithSummary("The data source, each service's health, records written per topic, stored documents and runs");
}

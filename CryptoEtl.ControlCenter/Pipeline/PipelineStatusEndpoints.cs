namespace CryptoEtl.ControlCenter.Pipeline;

public static class PipelineStatusEndpoints
{
    public static IServiceCollection AddPipelineStatus(this IServiceCollection services)
    {
        services.AddSingleton<PipelineStatusProbe>();
        return services;
    }

    /// <summary>GET /api/status: the source, each service's health and the pipeline's counts.</summary>
    public static void MapPipelineStatus(this WebApplication app) =>
        app.MapGet("/api/status", async (PipelineStatusProbe probe, CancellationToken cancellation) => TypedResults.Ok(await probe.ReadAsync(cancellation)))
            .WithSummary("The data source, each service's health, records per topic, stored documents and runs");
}

namespace CryptoEtl.ControlCenter.Groups;

public static class ConsumerGroupEndpoints
{
    public static IServiceCollection AddConsumerGroups(this IServiceCollection services)
    {
        services.AddSingleton<ConsumerGroupMonitor>();
        services.AddSingleton<Kafka.GroupOffsetReset>();
        services.AddHostedService(sp => sp.GetRequiredService<ConsumerGroupMonitor>());
        return services;
    }

    /// <summary>GET /api/groups: each watched group's members, lag per partition and lag over the last minutes.</summary>
    public static void MapConsumerGroups(this WebApplication app) =>
        app.MapGet("/api/groups", async (ConsumerGroupMonitor monitor, CancellationToken cancellation) => TypedResults.Ok(await monitor.DescribeAsync(cancellation)))
            .WithSummary("The pipeline's consumer groups: members, committed offsets, lag per partition and over time");
}

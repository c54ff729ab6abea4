using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CryptoEtl.AppHost.Running;

public static class RunSupervisionExtensions
{
    /// <summary>
    /// What `dotnet run` of this AppHost adds to Aspire's own orchestration: crashed processes restarted with backoff
    /// (<see cref="ResourceRestarts"/>), the endpoints, a status line and the summary (<see cref="RunReport"/>), and a
    /// stop in order that drains the consumers first (<see cref="OrderedShutdown"/>), also after <c>--run-for</c>.
    /// </summary>
    public static void AddRunSupervision(this IDistributedApplicationBuilder builder,
        IReadOnlyList<IResourceBuilder<IResource>> producers, IReadOnlyList<IResourceBuilder<IResourceWithEndpoints>> consumers)
    {
        if (!builder.ExecutionContext.IsRunMode)
        {
            return;
        }

        var options = PipelineRunOptions.Of(builder);
        var drainTimeout = options.DrainTimeout;
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(new ShutdownOrder([.. producers.Select(p => p.Resource)], [.. consumers.Select(c => c.Resource)], drainTimeout));
        builder.Services.AddSingleton<RunReport>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RunReport>());
        builder.Services.AddHostedService<ResourceRestarts>();
        // Registered last, so the host stops it first: while it drains, every resource still runs.
        builder.Services.AddHostedService<OrderedShutdown>();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = drainTimeout + TimeSpan.FromMinutes(2));
    }
}

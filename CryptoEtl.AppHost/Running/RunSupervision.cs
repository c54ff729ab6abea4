using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CryptoEtl.AppHost.Running;

public static class RunSupervisionExtensions
{
    /// <summary>The client the supervision reads the services with (their status, their lag): 10 s, no retries, as a status line needs.</summary>
    public const string ServicesClient = "cryptoetl-services";

    /// <summary>
    /// What `dotnet run` of this AppHost adds to Aspire's own orchestration: crashed processes restarted with backoff
    /// (<see cref="ResourceRestarts"/>), the endpoints, a status line and the summary (<see cref="RunReport"/>), and a
    /// stop in order that drains the consumers first (<see cref="OrderedShutdown"/>), also after <c>--run-for</c>.
    /// </summary>
    public static void AddRunSupervision(this IDistributedApplicationBuilder builder, PipelineRunOptions options,
        IReadOnlyList<IResourceBuilder<IResourceWithEndpoints>> producers, IReadOnlyList<IResourceBuilder<IResourceWithEndpoints>> consumers)
    {
        if (!builder.ExecutionContext.IsRunMode)
        {
            return;
        }

        var drainTimeout = options.DrainTimeout;
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(new ShutdownOrder([.. producers.Select(p => p.Resource)], [.. consumers.Select(c => c.Resource)], drainTimeout));
        builder.Services.AddHttpClient(ServicesClient, http => http.Timeout = TimeSpan.FromSeconds(10));
        builder.Services.AddSingleton<RunReport>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<RunReport>());
        // Every process says why it stopped in a file of its own, which the supervision reads when it exits.
        builder.Eventing.Subscribe<BeforeStartEvent>((start, _) =>
        {
            foreach (var process in start.Model.Resources.Where(r => r is ProjectResource or ExecutableResource).OfType<IResourceWithEnvironment>())
            {
                process.Annotations.Add(new EnvironmentCallbackAnnotation(environment =>
                    environment[ResourceRestarts.TerminationLogVariable] = ResourceRestarts.TerminationLogOf(options, process.Name)));
            }

            return Task.CompletedTask;
        });
        builder.Services.AddSingleton<ResourceRestarts>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ResourceRestarts>());
        // Registered last, so the host stops it first: while it drains, every resource still runs.
        builder.Services.AddHostedService<OrderedShutdown>();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = drainTimeout + TimeSpan.FromMinutes(2));
    }

    /// <summary>
    /// Runs the app until it stops, and returns the AppHost's exit code (<see cref="OrderedShutdown"/>): a stop before
    /// every resource was up says which resources were failing, and exits with
    /// <see cref="OrderedShutdown.FailedResourceExitCode"/> if any were. No stop ends in a stack trace.
    /// </summary>
    public static async Task<int> RunSupervisedAsync(this DistributedApplication app)
    {
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        var restarts = app.Services.GetService<ResourceRestarts>();
        try
        {
            await app.RunAsync();
        }
        catch (ContainerRuntimeMissingException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 1;
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            await Console.Error.WriteLineAsync($"The AppHost stopped: {e.Message}");
            return 1;
        }

        if (!lifetime.ApplicationStarted.IsCancellationRequested)
        {
            // Stopped while Aspire was still starting the resources (its start waits for every WaitFor, so one resource
            // that never gets healthy holds it): no hosted service that had not started is stopped, so this says what failed.
            var failing = restarts?.Failing() ?? [];
            await Console.Out.WriteLineAsync(failing.Count == 0
                ? "Stopped before every resource was up."
                : $"Stopped before every resource was up. The run ends with failing resources: {string.Join("; ", failing.Select(f => $"{f.Resource}: {f.Problem}"))}");
            return failing.Count > 0 ? OrderedShutdown.FailedResourceExitCode : 0;
        }

        return Environment.ExitCode;
    }
}

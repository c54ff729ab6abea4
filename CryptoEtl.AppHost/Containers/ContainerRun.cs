using CryptoEtl.AppHost.Embedded;
using CryptoEtl.AppHost.Model;
using CryptoEtl.AppHost.Publishing;
using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using DotNet.Testcontainers.Networks;

namespace CryptoEtl.AppHost.Containers;

/// <summary>
/// The containers realisation, Aspire's run mode: every container resource runs in Docker (pinned images, one network,
/// addressed by name, host ports as in compose) and the .NET services run as processes on this machine, reaching the
/// containers on localhost. Without a Docker engine it says so in one line and exits non-zero.
/// </summary>
public sealed class ContainerRun(IReadOnlyList<Resource> resources)
{
    public const string DockerHost = "host.docker.internal";

    public async Task<int> RunAsync(string stateDirectory, TimeSpan? runFor, CancellationToken cancellation)
    {
        INetwork network;
        try
        {
            network = new NetworkBuilder().WithName($"cryptoetl-{Guid.NewGuid():N}"[..20]).Build();
            await network.CreateAsync(cancellation);
        }
        catch (Exception e) when (e is DockerUnavailableException or InvalidOperationException or ArgumentException or HttpRequestException)
        {
            await Console.Error.WriteLineAsync($"Docker is not available here, and --mode containers needs a running Docker engine ({e.GetType().Name}: {e.Message.Split('\n')[0]}).");
            return 1;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        if (runFor is { } duration)
        {
            stop.CancelAfter(duration);
        }

        var parameters = Parameters();
        var containers = new List<IContainer>();
        var processes = new List<ServiceProcess>();
        try
        {
            // Containers address each other by name on the network; the services run on this host, which containers reach as host.docker.internal.
            var inNetwork = new Addressing(resources, r => r.Kind == ResourceKind.Project ? DockerHost : r.Name,
                (r, e) => r.Kind == ResourceKind.Project ? e.HostPort ?? e.TargetPort : e.TargetPort, p => parameters[p.Name]);
            // From the host, an endpoint that is not published (Kafka's in-network listener) is reached through the
            // resource's published one (Kafka's PLAINTEXT_HOST listener on localhost:9092).
            var onHost = new Addressing(resources, _ => "localhost",
                (r, e) => e.HostPort ?? r.Endpoints.FirstOrDefault(published => published.HostPort is not null)?.HostPort ?? e.TargetPort, p => parameters[p.Name]);
            var state = Path.Combine(stateDirectory, "containers");
            foreach (var resource in resources.Where(r => r.Kind is ResourceKind.Container or ResourceKind.Project))
            {
                if (resource.Kind == ResourceKind.Container)
                {
                    var container = Build(resource, network, inNetwork);
                    Console.WriteLine($"starting {resource.Name} ({resource.ImageReference})");
                    await container.StartAsync(stop.Token);
                    containers.Add(container);
                    continue;
                }

                var environment = onHost.EnvironmentOf(resource).ToDictionary(kv => kv.Key, kv => kv.Value);
                // On every interface: containers (Airflow) reach the services through the Docker host gateway.
                environment["ASPNETCORE_URLS"] = $"http://0.0.0.0:{resource.Http!.HostPort}";
                environment["StateDir"] = Path.Combine(state, resource.Name);
                if (environment.ContainsKey("ConnectionStrings__spark"))
                {
                    // The job runs on Spark, in the network: Spark reads Kafka at its in-network address.
                    environment["Spark__KafkaBootstrapServers"] = inNetwork.Resolve("{kafka.connectionString}")!;
                }

                var process = new ServiceProcess(resource.Name, $"{resource.Project}.dll", resource.Args, environment,
                    new Uri($"http://127.0.0.1:{resource.Http.HostPort}"), new FileLogSink(Path.Combine(state, "logs", $"{resource.Name}.log")));
                processes.Add(process);
                process.Start();
                Console.WriteLine($"starting {resource.Name} (process) at {process.Url}");
                await process.WaitUntilHealthyAsync(TimeSpan.FromMinutes(3), stop.Token);
            }

            Console.WriteLine("All resources are up. Aspire dashboard: http://localhost:18888 · Airflow: http://localhost:8080 · Control Center: http://localhost:9021");
            await Task.Delay(Timeout.Infinite, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            return 0;
        }
        finally
        {
            foreach (var process in Enumerable.Reverse(processes))
            {
                await process.StopAsync(TimeSpan.FromSeconds(30));
            }

            foreach (var container in Enumerable.Reverse(containers))
            {
                await container.DisposeAsync();
            }

            await network.DisposeAsync();
        }
    }

    /// <summary>The container of a resource as the model declares it (tested by golden tests of this specification).</summary>
    public static ContainerBuilder Specification(Resource resource, INetwork? network, Addressing addressing)
    {
        var builder = new ContainerBuilder(resource.ImageReference)
            .WithName($"cryptoetl-{resource.Name}-{Guid.NewGuid():N}"[..30])
            .WithNetworkAliases(resource.Name)
            .WithExtraHost(DockerHost, "host-gateway")
            .WithEnvironment(addressing.EnvironmentOf(resource))
            .WithCleanUp(true);
        if (network is not null)
        {
            builder = builder.WithNetwork(network);
        }

        if (resource.Args.Count > 0)
        {
            builder = builder.WithCommand([.. resource.Args]);
        }

        foreach (var endpoint in resource.Endpoints.Where(e => e.HostPort is not null))
        {
            builder = builder.WithPortBinding(endpoint.HostPort!.Value, endpoint.TargetPort);
        }

        foreach (var (name, target) in resource.Volumes)
        {
            builder = builder.WithVolumeMount(name, target);
        }

        foreach (var (source, target, _) in resource.BindMounts)
        {
            builder = builder.WithBindMount(Path.GetFullPath(Path.Combine(ManifestPublisher.FindRepository(), "docker", source)), target);
        }

        var waitPort = resource.Endpoints.FirstOrDefault()?.TargetPort;
        return waitPort is { } port ? builder.WithWaitStrategy(Wait.ForUnixContainer().UntilInternalTcpPortIsAvailable(port)) : builder;
    }

    private static IContainer Build(Resource resource, INetwork network, Addressing addressing) => Specification(resource, network, addressing).Build();

    /// <summary>Parameter values from the environment (POSTGRES_PASSWORD, ...), else their defaults; a secret without either is generated for this run.</summary>
    private Dictionary<string, string?> Parameters() => resources.Where(r => r.Kind == ResourceKind.Parameter).ToDictionary(r => r.Name, string? (r) =>
        Environment.GetEnvironmentVariable(Addressing.VariableName(r)) is { Length: > 0 } value ? value
        : r.Default ?? (r.Secret ? Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(12)) : ""));
}

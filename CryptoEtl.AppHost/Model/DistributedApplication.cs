using System.CommandLine;
using CryptoEtl.AppHost.Containers;
using CryptoEtl.AppHost.Embedded;
using CryptoEtl.AppHost.Publishing;

namespace CryptoEtl.AppHost.Model;

/// <summary>The built app model and its command line: run it (embedded or containers), or publish it.</summary>
public sealed class DistributedApplication(IReadOnlyList<Resource> resources, string[] args)
{
    public IReadOnlyList<Resource> Resources { get; } = resources;

    public static DistributedApplicationBuilder CreateBuilder(string[] args) => new(args);

    public Resource this[string name] => Resources.Single(r => r.Name == name);

    public async Task<int> RunAsync()
    {
        var mode = new Option<string>("--mode") { Description = "embedded (default: needs only the .NET SDK) or containers (needs Docker).", DefaultValueFactory = _ => "embedded" };
        mode.AcceptOnlyFromAmong("embedded", "containers");
        var source = new Option<string>("--source") { Description = "auto (the real API when /ping answers, else the simulator), coingecko or simulator.", DefaultValueFactory = _ => "auto" };
        source.AcceptOnlyFromAmong("auto", "coingecko", "simulator");
        var stateDir = new Option<string>("--state-dir") { Description = "Where every resource keeps its files and logs (default: .cryptoetl in the repository).", DefaultValueFactory = _ => RepositoryPaths.Resolve(".cryptoetl") };
        var runFor = new Option<string?>("--run-for") { Description = "Stop cleanly after this long: 90s, 5m, 1h." };
        var summary = new Option<string?>("--summary") { Description = "Write a JSON summary (mode, source, endpoints, counts) here at exit." };
        var plain = new Option<bool>("--plain") { Description = "Print status lines instead of the live table (the default when output is redirected)." };
        var publisher = new Option<string?>("--publisher") { Description = "manifest: write an Aspire manifest (with --output-path)." };
        publisher.AcceptOnlyFromAmong("manifest");
        var outputPath = new Option<string?>("--output-path") { Description = "Where the manifest goes." };

        var root = new RootCommand("CryptoEtl AppHost: runs or publishes the app model.") { mode, source, stateDir, runFor, summary, plain, publisher, outputPath };
        root.SetAction(async (parse, cancellation) =>
        {
            if (parse.GetValue(publisher) is "manifest")
            {
                return ManifestPublisher.Publish(Resources, parse.GetValue(outputPath));
            }

            if (!RunDuration.TryParse(parse.GetValue(runFor), out var duration, out var problem))
            {
                await Console.Error.WriteLineAsync(problem);
                return 2;
            }

            if (parse.GetValue(mode) == "containers")
            {
                return await new ContainerRun(Resources).RunAsync(Path.GetFullPath(parse.GetValue(stateDir)!), duration, cancellation);
            }

            var options = new EmbeddedRunOptions
            {
                Source = parse.GetValue(source)!,
                StateDirectory = Path.GetFullPath(parse.GetValue(stateDir)!),
                RunFor = duration,
                SummaryPath = parse.GetValue(summary),
                Live = !parse.GetValue(plain) && !Console.IsOutputRedirected,
            };
            return await EmbeddedRun.RunToCompletionAsync(Resources, options, cancellation);
        });

        var output = new Option<string>("--output") { Description = "Directory for docker-compose.yml, .env.example and the Dockerfile (default: docker in the repository).", DefaultValueFactory = _ => RepositoryPaths.Resolve("docker") };
        var compose = new Command("compose", "Write docker-compose.yml, .env.example (secrets) and the services' Dockerfile from the model.") { output };
        compose.SetAction(parse => ComposePublisher.Publish(Resources, parse.GetValue(output)!));
        root.Add(new Command("publish", "Publish the model for deployment.") { compose });

        // Ctrl+C cancels the action; System.CommandLine would force exit 130 after 2 s, while stopping drains the
        // pipeline (up to 90 s) and then stops every resource in order.
        return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromMinutes(3) });
    }
}

using System.CommandLine;
using CryptoEtl.DevServices.Hosting;

namespace CryptoEtl.DevServices.SchemaRegistry;

/// <summary><c>dotnet run --project CryptoEtl.DevServices -- schema-registry</c>: the registry stand-in on its own, for curl.</summary>
internal static class SchemaRegistryCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "Port to listen on (0 picks a free one).", DefaultValueFactory = _ => 8081 };
        port.Validators.Add(r =>
        {
            if (r.GetValue(port) is < 0 or > 65535)
            {
                r.AddError($"--port must be between 0 and 65535 (got {r.GetValue(port)}).");
            }
        });
        var stateDir = new Option<string?>("--state-dir") { Description = "Directory of the state file (default .cryptoetl/schema-registry)." };
        var memory = new Option<bool>("--in-memory") { Description = "Keep nothing on disk." };

        var command = new Command("schema-registry", "Run the Confluent-compatible Schema Registry stand-in.") { port, stateDir, memory };
        command.SetAction(async (parse, cancellation) =>
        {
            var directory = parse.GetValue(memory)
                ? null
                : parse.GetValue(stateDir) ?? SchemaRegistryServer.DefaultStateDirectory(new ConfigurationBuilder().AddEnvironmentVariables().Build());
            await using var app = SchemaRegistryServer.Build($"http://127.0.0.1:{parse.GetValue(port)}", directory);
            return await app.RunServiceAsync(cancellation, () =>
            {
                Console.WriteLine($"schema.registry.url={app.ListeningAddress().ToString().TrimEnd('/')}");
                Console.WriteLine(directory is null ? "State: in memory only." : $"State: {Path.Combine(directory, SchemaRegistryServer.StateFileName)}");
                return Task.CompletedTask;
            });
        });
        return command;
    }
}

using Confluent.SchemaRegistry;
using CryptoEtl.DevServices.Hosting;
using CryptoEtl.DevServices.SchemaRegistry;
using Microsoft.AspNetCore.Builder;

namespace CryptoEtl.DevServices.Tests.SchemaRegistry;

/// <summary>A registry stand-in on a random port, with a real Confluent client and a plain HttpClient pointed at it.</summary>
internal sealed class RegistryServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RegistryServer(WebApplication app)
    {
        _app = app;
        Url = app.ListeningAddress().ToString().TrimEnd('/');
        Client = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = Url });
        Http = new HttpClient { BaseAddress = new Uri(Url) };
    }

    public string Url { get; }

    public CachedSchemaRegistryClient Client { get; }

    public HttpClient Http { get; }

    public static async Task<RegistryServer> StartAsync(string? stateDirectory = null)
    {
        var app = SchemaRegistryServer.Build("http://127.0.0.1:0", stateDirectory, ["--Logging:LogLevel:Default=Warning"]);
        await app.StartAsync();
        return new RegistryServer(app);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

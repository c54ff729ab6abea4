using Confluent.Kafka;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CryptoEtl.Kafka;

/// <summary>
/// Healthy when the cluster answers a metadata request in time: the readiness check behind each service's /health,
/// and the AppHost's check of its Kafka resource (whose address is known only once it runs). A check that fails drops
/// its client, so the next one starts afresh (a client kept across a broker that came back empty can stay stuck).
/// </summary>
public sealed class KafkaHealthCheck(Func<string?> bootstrapServers) : IHealthCheck, IDisposable
{
    private readonly Lock _lock = new();
    private IAdminClient? _admin;
    private string? _servers;

    public KafkaHealthCheck(string bootstrapServers)
        : this(() => bootstrapServers)
    {
    }

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) => Task.Run(() =>
    {
        if (bootstrapServers() is not { } servers)
        {
            return HealthCheckResult.Unhealthy("The broker's address is not known yet.");
        }

        lock (_lock)
        {
            try
            {
                if (_admin is null || _servers != servers)
                {
                    _admin?.Dispose();
                    _admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = servers, SocketTimeoutMs = 3000 }).SetLogHandler((_, _) => { }).Build();
                    _servers = servers;
                }

                var metadata = _admin.GetMetadata(TimeSpan.FromSeconds(3));
                return HealthCheckResult.Healthy($"{metadata.Brokers.Count} broker(s), {metadata.Topics.Count} topic(s)");
            }
            catch (KafkaException e)
            {
                _admin?.Dispose();
                _admin = null;
                return HealthCheckResult.Unhealthy($"Kafka at {servers} does not answer: {e.Error.Reason}");
            }
        }
    }, cancellationToken);

    public void Dispose()
    {
        lock (_lock)
        {
            _admin?.Dispose();
            _admin = null;
        }
    }
}

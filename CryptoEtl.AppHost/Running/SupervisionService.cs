namespace CryptoEtl.AppHost.Running;

/// <summary>
/// A background loop of the AppHost's own that runs from the very start of the host. Aspire's orchestrator creates the
/// resources inside its StartAsync and returns only once every resource has been created, waits included: a resource
/// that never gets healthy holds every <c>WaitFor</c> on it, and so the whole start, for good. A plain
/// BackgroundService registered after it would never run then; this one starts in <see cref="IHostedLifecycleService.StartingAsync"/>,
/// before any hosted service's StartAsync, so restarts, errors and the status line go on whatever happens to the start.
/// </summary>
public abstract class SupervisionService : IHostedLifecycleService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _running;

    protected abstract Task RunAsync(CancellationToken stoppingToken);

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        _running = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public virtual async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        if (_running is { } running)
        {
            await running.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public virtual void Dispose()
    {
        _stopping.Dispose();
        GC.SuppressFinalize(this);
    }
}

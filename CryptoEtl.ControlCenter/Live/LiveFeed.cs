using System.Collections.Concurrent;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using CryptoEtl.ControlCenter.Browsing;
using CryptoEtl.ControlCenter.Groups;
using CryptoEtl.ControlCenter.Pipeline;
using CryptoEtl.ControlCenter.Replay;
using Microsoft.Extensions.Options;
using OpenTelemetry;

namespace CryptoEtl.ControlCenter.Live;

/// <summary>
/// What moves on the console's pages, pushed to them as server-sent events: <c>status</c> (services and counts),
/// <c>topics</c> (offsets and produce rates), <c>groups</c> (lag) and <c>deadletters</c>, read once every
/// <see cref="ControlCenterOptions.LiveInterval"/> for all open pages, and only while one is open. A page that connects
/// gets the latest of each at once; a slow one misses intermediate readings, never the newest. A reading that fails
/// (Kafka or a service down) is skipped: the page keeps the last one and says how old it is.
/// </summary>
public sealed partial class LiveFeed(IServiceScopeFactory scopes, TopicBrowser topics, ConsumerGroupMonitor groups, DeadLetterBrowser deadLetters,
    IOptions<ControlCenterOptions> options, TimeProvider clock, ILogger<LiveFeed> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<Channel<SseItem<object>>, bool> _pages = new();
    private readonly ConcurrentDictionary<string, SseItem<object>> _latest = new(StringComparer.Ordinal);

    public async IAsyncEnumerable<SseItem<object>> SubscribeAsync([EnumeratorCancellation] CancellationToken cancellation)
    {
        var page = Channel.CreateBounded<SseItem<object>>(new BoundedChannelOptions(16) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        _pages[page] = true;
        try
        {
            foreach (var latest in _latest.Values)
            {
                yield return latest;
            }

            await foreach (var item in page.Reader.ReadAllAsync(cancellation))
            {
                yield return item;
            }
        }
        finally
        {
            _pages.TryRemove(page, out _);
            if (_pages.IsEmpty)
            {
                _latest.Clear(); // not shown to the next page as if new: it waits for the next readings
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.LiveInterval, clock);
        do
        {
            if (_pages.IsEmpty)
            {
                continue;
            }

            using (SuppressInstrumentationScope.Begin()) // a reading every few seconds: not worth a trace each
            {
                await PublishAsync("status", async token =>
                {
                    await using var scope = scopes.CreateAsyncScope();
                    return await scope.ServiceProvider.GetRequiredService<PipelineStatusProbe>().ReadAsync(token);
                }, stoppingToken);
                await PublishAsync("topics", async _ => await topics.ListWithRatesAsync(groups), stoppingToken);
                await PublishAsync("groups", async token => await groups.DescribeAsync(token), stoppingToken);
                await PublishAsync("deadletters", async token => await deadLetters.SummarizeAsync(token), stoppingToken);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task PublishAsync(string name, Func<CancellationToken, Task<object?>> read, CancellationToken cancellation)
    {
        object? reading;
        try
        {
            reading = await read(cancellation);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellation.IsCancellationRequested)
        {
            ReadingFailed(logger, name, e.GetType().Name, e.Message);
            return;
        }

        if (reading is null)
        {
            return;
        }

        var item = new SseItem<object>(reading, name);
        _latest[name] = item;
        foreach (var page in _pages.Keys)
        {
            page.Writer.TryWrite(item);
        }
    }

    [LoggerMessage(1, LogLevel.Warning, "The console's {Reading} reading failed and is skipped: {Type}: {Reason}")]
    private static partial void ReadingFailed(ILogger logger, string reading, string type, string reason);
}

public static class LiveFeedEndpoints
{
    public static IServiceCollection AddLiveFeed(this IServiceCollection services)
    {
        services.AddSingleton<LiveFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<LiveFeed>());
        return services;
    }

    /// <summary>GET /api/live: server-sent events status, topics, groups and deadletters, each a JSON reading.</summary>
    public static void MapLiveFeed(this WebApplication app) =>
        app.MapGet("/api/live", (LiveFeed feed, CancellationToken cancellation) => TypedResults.ServerSentEvents(feed.SubscribeAsync(cancellation)))
            .WithSummary("The pages' moving data as server-sent events: status, topics, groups and deadletters");
}

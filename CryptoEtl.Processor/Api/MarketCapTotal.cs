using CryptoEtl.Processor.Storage;

namespace CryptoEtl.Processor.Api;

/// <summary>
/// The stored coins' total market cap, for the read API's shares. Summing it reads every coin's quote (about 200 ms at
/// 100,000 coins, bench/ reads), so a request takes the last sum and, once that is older than <see cref="MaxAge"/>,
/// starts the next in the background: a share is at most a second and one sum behind, and only the first request of
/// a process, or one after a failed sum, waits for a sum.
/// </summary>
/// <param name="sum">Sums the market caps of every coin's newest quote (<see cref="IMarketStore.TotalMarketCapAsync"/>).</param>
public sealed class MarketCapTotal(Func<CancellationToken, Task<double>> sum, TimeProvider clock)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private Task<Sum>? _sum;
    private Sum? _last;

    public async Task<double> GetAsync(CancellationToken cancellation)
    {
        Task<Sum> current;
        lock (_gate)
        {
            if (_sum is null || (_sum.IsCompleted && (!_sum.IsCompletedSuccessfully || clock.GetUtcNow() - _sum.Result.At > MaxAge)))
            {
                _sum = SumAsync(); // not the request's token: the sum serves the requests after it too
            }

            current = _sum;
            if (!current.IsCompleted && _last is { } last)
            {
                return last.Total;
            }
        }

        return (await current.WaitAsync(cancellation)).Total;
    }

    private async Task<Sum> SumAsync()
    {
        await Task.Yield(); // the sum runs outside the lock that starts it
        var done = new Sum(await sum(CancellationToken.None), clock.GetUtcNow());
        lock (_gate)
        {
            _last = done;
        }

        return done;
    }

    private sealed record Sum(double Total, DateTimeOffset At);
}

using CryptoEtl.Processor.Api;
using CryptoEtl.TestSupport;
using Microsoft.Extensions.Time.Testing;
using static CryptoEtl.Processor.Tests.Samples;

namespace CryptoEtl.Processor.Tests.Api;

public sealed class MarketCapTotalTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_sum_serves_for_a_second_then_the_next_runs_while_the_last_still_answers()
    {
        var clock = new FakeTimeProvider(T0);
        var stored = 400d;
        var sums = 0;
        var held = new TaskCompletionSource();
        held.SetResult();
        var total = new MarketCapTotal(async _ =>
        {
            Interlocked.Increment(ref sums);
            await held.Task;
            return stored;
        }, clock);

        Assert.Equal(400, await total.GetAsync(Cancel)); // the first request waits for the first sum
        stored = 450;
        clock.Advance(MarketCapTotal.MaxAge);
        Assert.Equal((400d, 1), (await total.GetAsync(Cancel), sums)); // a second old: still the sum

        held = new TaskCompletionSource();
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(400, await total.GetAsync(Cancel)); // older: the last sum answers while the next runs
        Assert.Equal(400, await total.GetAsync(Cancel));
        held.SetResult();
        await Eventually.GetAsync(() => total.GetAsync(Cancel), sum => sum == 450, TimeSpan.FromSeconds(10), "the next sum");
        Assert.Equal(2, sums); // one sum at a time, however many requests
    }
}

using System.Net.Http.Json;
using System.Text.Json;
using CryptoEtl.Contracts;
using CryptoEtl.TestSupport;

namespace CryptoEtl.ControlCenter.Tests;

public sealed class ConsumerGroupsTests(ConsoleFixture console) : IClassFixture<ConsoleFixture>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Each_groups_lag_is_the_end_offset_minus_what_it_committed_per_partition_and_is_sampled_over_time()
    {
        var groups = await Eventually.GetAsync(() => console.Http.GetFromJsonAsync<JsonElement>("/api/groups", Cancel),
            g => g.EnumerateArray().All(x => x.GetProperty("history").GetArrayLength() >= 2), TimeSpan.FromSeconds(30), "two lag samples per group");

        var processor = groups.EnumerateArray().Single(g => g.GetProperty("group").GetString() == "cryptoetl-processor");
        var ticks = processor.GetProperty("partitions").EnumerateArray().Where(p => p.GetProperty("topic").GetString() == Topics.Ticks).ToList();
        Assert.Equal((1L, 3L, 2L), (ticks[0].GetProperty("committed").GetInt64(), ticks[0].GetProperty("end").GetInt64(), ticks[0].GetProperty("lag").GetInt64()));
        Assert.Equal((JsonValueKind.Null, 2L, 2L), (ticks[1].GetProperty("committed").ValueKind, ticks[1].GetProperty("end").GetInt64(), ticks[1].GetProperty("lag").GetInt64()));
        Assert.Equal(4, processor.GetProperty("lag").GetInt64());
        Assert.All(processor.GetProperty("history").EnumerateArray(), s => Assert.Equal(4, s.GetProperty("lag").GetInt64()));
        // librdkafka's embedded broker cannot describe groups; the answer says so instead of showing no members.
        Assert.Equal(JsonValueKind.Null, processor.GetProperty("members").ValueKind);
        Assert.StartsWith("the broker does not describe groups", processor.GetProperty("membersUnavailable").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, groups.EnumerateArray().Single(g => g.GetProperty("group").GetString() == "cryptoetl-sparkjob").GetProperty("lag").GetInt64());
    }
}

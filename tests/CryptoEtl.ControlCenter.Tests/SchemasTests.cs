using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CryptoEtl.Contracts;

namespace CryptoEtl.ControlCenter.Tests;

public sealed class SchemasTests(ConsoleFixture console) : IClassFixture<ConsoleFixture>
{
    private static readonly string Ticks = Topics.ValueSubject(Topics.Ticks);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Each_subject_shows_its_versions_compatibility_and_schema_and_one_version_can_be_fetched()
    {
        var subjects = await console.Http.GetFromJsonAsync<JsonElement>("/api/schemas", Cancel);

        var ticks = subjects.EnumerateArray().Single(s => s.GetProperty("subject").GetString() == Ticks);
        Assert.Equal([1], ticks.GetProperty("versions").EnumerateArray().Select(v => v.GetInt32()));
        Assert.Equal("Backward (the registry's default)", ticks.GetProperty("compatibility").GetString());
        Assert.Contains("\n  \"name\": \"PriceTick\"", ticks.GetProperty("latest").GetString(), StringComparison.Ordinal); // pretty-printed

        var version = await console.Http.GetFromJsonAsync<JsonElement>($"/api/schemas/{Ticks}/versions/1", Cancel);
        Assert.Equal(ticks.GetProperty("latestId").GetInt32(), version.GetProperty("id").GetInt32());
    }

    [Fact]
    public async Task A_diff_of_two_versions_marks_the_lines_added_and_removed()
    {
        var diff = await console.Http.GetFromJsonAsync<JsonElement>($"/api/schemas/{ConsoleFixture.DiffSubject}/diff?from=1&to=2", Cancel);
        var lines = diff.GetProperty("lines").EnumerateArray().Select(l => (l.GetProperty("change").GetString(), l.GetProperty("text").GetString()!)).ToList();

        Assert.DoesNotContain(lines, l => l.Item1 == "-");
        Assert.Contains(("+", "      \"name\": \"note\","), lines);
        Assert.Contains((" ", "      \"name\": \"id\","), lines); // unchanged lines are kept, in order
        var backwards = await console.Http.GetFromJsonAsync<JsonElement>($"/api/schemas/{ConsoleFixture.DiffSubject}/diff?from=2&to=1", Cancel);
        Assert.Equal(lines.Count(l => l.Item1 == "+"), backwards.GetProperty("lines").EnumerateArray().Count(l => l.GetProperty("change").GetString() == "-"));
    }

    [Theory]
    [InlineData("/api/schemas/example-value/diff?from=1&to=3", "example-value has versions 1, 2 (got 3).")]
    [InlineData("/api/schemas/nope-value/versions/1", "There is no subject \"nope-value\".")]
    [InlineData("/api/schemas/crypto.market.ticks-value/versions/9", "crypto.market.ticks-value has versions 1 (got 9).")]
    public async Task An_unknown_subject_or_version_is_a_404_that_says_which(string path, string detail)
    {
        using var response = await console.Http.GetAsync(path, Cancel);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(detail, (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("detail").GetString());
    }
}

using CryptoEtl.Contracts;
using Microsoft.Playwright;

namespace CryptoEtl.ControlCenter.Tests;

/// <summary>The console's pages in headless Chromium: what each page shows and what its buttons do, with a screenshot of each.</summary>
public sealed class ConsolePagesTests(ConsoleFixture console) : ConsolePageTest(console), IClassFixture<ConsoleFixture>
{
    [Fact]
    public async Task The_topics_page_lists_the_topics_and_browses_one_with_values_decoded_and_undecodable_ones_labelled()
    {
        var page = await Browser.OpenAsync("topics");
        var ticks = page.Locator("#topics tr", new() { HasText = Topics.Ticks });
        await Assertions.Expect(ticks.Locator("td").Nth(1)).ToHaveTextAsync("6"); // partitions
        await Assertions.Expect(ticks.Locator("td").Nth(2)).ToHaveTextAsync("5"); // records
        await Assertions.Expect(ticks.Locator("td").Nth(3)).ToHaveTextAsync("0.0"); // produced per second: nothing lately

        await ticks.GetByRole(AriaRole.Button, new() { Name = "Browse" }).ClickAsync();

        await Assertions.Expect(page.Locator("#browse-title")).ToHaveTextAsync($"{Topics.Ticks}: the newest 5 records");
        await Assertions.Expect(page.Locator("#messages tr", new() { HasText = "coin_id: \"eth\"" })).ToHaveCountAsync(1); // decoded through the registry
        await Assertions.Expect(page.Locator("#messages tr", new() { HasText = "junk" })).ToContainTextAsync("hex"); // not Avro: shown as labelled hex
        await ConsoleBrowser.SaveAsync(page, "topics");
    }

    [Fact]
    public async Task The_record_browser_reads_from_an_offset_filters_by_key_shows_headers_and_says_what_is_wrong_with_a_bad_offset()
    {
        var page = await Browser.OpenAsync("topics");
        await page.Locator("#topics tr", new() { HasText = Topics.Ticks }).GetByRole(AriaRole.Button, new() { Name = "Browse" }).ClickAsync();
        await Assertions.Expect(page.Locator("#browse-title")).ToHaveTextAsync($"{Topics.Ticks}: the newest 5 records");

        // Partition 0 holds btc@0, eth@1, btc@2: from offset 1, only btc's second tick has the key.
        await page.Locator("#browse-partition").FillAsync("0");
        await page.Locator("#browse-offset").FillAsync("1");
        await page.Locator("#browse-key").FillAsync("btc");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await Assertions.Expect(page.Locator("#browse-title")).ToHaveTextAsync($"{Topics.Ticks}: 1 records from offset 1 of partition 0 with key btc");
        var record = page.Locator("#messages tbody tr");
        await Assertions.Expect(record).ToHaveCountAsync(1);
        await Assertions.Expect(record.Locator("td").Nth(0)).ToHaveTextAsync("0@2");
        await Assertions.Expect(record.Locator("td").Nth(3)).ToHaveTextAsync("run_id=run-1"); // headers
        await Assertions.Expect(record.Locator("td").Nth(4)).ToContainTextAsync("price: 101");

        await page.Locator("#browse-offset").FillAsync("99");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();
        await Assertions.Expect(page.Locator("#browse-title")).ToHaveTextAsync($"{Topics.Ticks}: offset must be between 0 and 3 for partition 0 (got 99).");
        await Assertions.Expect(page.Locator("#messages tbody tr")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task The_groups_page_shows_each_groups_lag_per_partition()
    {
        var page = await Browser.OpenAsync("groups");

        // The loader's group committed offset 1 of partition 0, which ends at 3: two behind. Partition 1: nothing committed.
        await Assertions.Expect(page.Locator("#group-partitions tr", new() { HasText = $"{Topics.Ticks}/0" })).ToHaveTextAsync($"cryptoetl-processor{Topics.Ticks}/0132");
        await Assertions.Expect(page.Locator("#group-partitions tr", new() { HasText = $"{Topics.Ticks}/1" })).ToHaveTextAsync($"cryptoetl-processor{Topics.Ticks}/1none22");
        await ConsoleBrowser.SaveAsync(page, "groups");
    }

    [Fact]
    public async Task The_schemas_page_diffs_two_versions_of_a_subject()
    {
        var page = await Browser.OpenAsync("schemas");

        await page.Locator("#schemas tr", new() { HasText = ConsoleFixture.DiffSubject }).GetByRole(AriaRole.Button, new() { Name = "Diff v1 → v2" }).ClickAsync();

        await Assertions.Expect(page.Locator("#schema .added", new() { HasText = "\"name\": \"note\"" })).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#schema .removed")).ToHaveCountAsync(0); // a field added, nothing removed
        await Assertions.Expect(page.Locator("#schema")).ToContainTextAsync($"{ConsoleFixture.DiffSubject}: v1 → v2");
        await ConsoleBrowser.SaveAsync(page, "schemas");
    }

    [Fact]
    public async Task Every_page_has_its_link_and_shows_alone()
    {
        var page = await Browser.OpenAsync("market");
        foreach (var name in new[] { "Pipeline", "Topics", "Consumer groups", "Schemas", "Dead letters", "Market" })
        {
            await page.GetByRole(AriaRole.Link, new() { Name = name }).ClickAsync();
            await Assertions.Expect(page.Locator("section.page:visible")).ToHaveCountAsync(1);
            await Assertions.Expect(page.Locator("nav a.current")).ToHaveTextAsync(name);
        }
    }
}

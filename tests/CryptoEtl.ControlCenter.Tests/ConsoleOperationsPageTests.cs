using CryptoEtl.Contracts;
using Microsoft.Playwright;

namespace CryptoEtl.ControlCenter.Tests;

/// <summary>
/// The console's operations in headless Chromium: searching records (a filter, the value tree with its types, export,
/// kcat), producing and republishing from the form, resetting a group's offsets, and the dark theme; a screenshot each.
/// Its own fixture: these tests write to the topics and move the loader's group.
/// </summary>
public sealed class ConsoleOperationsPageTests(ConsoleFixture console) : ConsolePageTest(console), IClassFixture<ConsoleFixture>
{
    [Fact]
    public async Task A_filter_finds_records_whose_values_show_as_a_tree_with_their_types_ready_to_export_or_copy_as_kcat()
    {
        var page = await OpenTicksAsync();

        await page.Locator("#browse-partition").FillAsync("0"); // the produce test writes to partition 5
        await page.Locator("#browse-filter").FillAsync("price > 100.5 && coin_id == \"btc\"");
        await page.GetByRole(AriaRole.Button, new() { Name = "Show" }).ClickAsync();

        await Assertions.Expect(page.Locator("#browse-title")).ToHaveTextAsync($"{Topics.Ticks}: the newest 1 records where price > 100.5 && coin_id == \"btc\"");
        var record = page.Locator("#messages tbody tr");
        await Assertions.Expect(record).ToHaveCountAsync(1);
        await Assertions.Expect(record.Locator("summary").First).ToContainTextAsync("value PriceTick {14}");
        await Assertions.Expect(record.GetByText("price: 101 double", new() { Exact = true })).ToHaveCountAsync(1);
        await Assertions.Expect(record.GetByText("previous_price: null null | double", new() { Exact = true })).ToHaveCountAsync(1);
        await Assertions.Expect(record.Locator(".leaf", new() { HasText = "event_time:" })).ToContainTextAsync("timestamp-millis");
        await Assertions.Expect(page.Locator("#browse-scanned")).ToHaveTextAsync("3 records read");
        var csv = await page.Locator("#export-csv").GetAttributeAsync("href");
        Assert.Contains("format=csv", csv, StringComparison.Ordinal);
        Assert.Contains("filter=price", csv, StringComparison.Ordinal);

        await record.GetByRole(AriaRole.Button, new() { Name = "Copy kcat" }).ClickAsync();
        await Assertions.Expect(page.Locator("#copied")).ToContainTextAsync($"kcat -C -b {Fixture.Infrastructure.BootstrapServers} -t {Topics.Ticks} -p 0 -o 2 -c 1 -e -J");
        await ConsoleBrowser.SaveAsync(page, "records");
    }

    [Fact]
    public async Task The_produce_form_lists_what_does_not_fit_the_schema_and_republishes_a_record()
    {
        var page = await OpenTicksAsync();
        await page.Locator("#topics tr", new() { HasText = Topics.Ticks }).GetByRole(AriaRole.Button, new() { Name = "Produce" }).ClickAsync();
        await page.Locator("#produce-value").FillAsync("""{"coin_id": "x", "price": "high"}""");
        await page.GetByRole(AriaRole.Button, new() { Name = "Produce" }).Last.ClickAsync();

        await Assertions.Expect(page.Locator("#produce-errors li", new() { HasText = "value.symbol: required (string), missing." })).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("#produce-errors li", new() { HasText = "value.price: expected a number (double), got \"high\"." })).ToHaveCountAsync(1);

        await page.Locator("#messages tr", new() { HasText = "0@2" }).GetByRole(AriaRole.Button, new() { Name = "Republish" }).ClickAsync();
        await Assertions.Expect(page.Locator("#produce-title")).ToHaveTextAsync($"Republish {Topics.Ticks} 0@2 (edit it first if you like)");
        await Assertions.Expect(page.Locator("#produce-key")).ToHaveValueAsync("btc");
        await page.Locator("#produce-partition").FillAsync("5"); // away from partition 0, which the other tests read
        await page.Locator("#produce-form button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator("#produced")).ToContainTextAsync($"Written to {Topics.Ticks} partition 5 at offset 0");
        await Assertions.Expect(page.Locator("#produce-errors li")).ToHaveCountAsync(0);
        await ConsoleBrowser.SaveAsync(page, "produce");
    }

    [Fact]
    public async Task A_groups_offsets_are_reset_after_a_dry_run_shows_the_lag_that_follows()
    {
        var page = await Browser.OpenAsync("groups");
        await page.Locator("#groups tr", new() { HasText = "cryptoetl-processor" }).GetByRole(AriaRole.Button, new() { Name = "Reset…" }).ClickAsync();
        await Assertions.Expect(page.Locator("#reset-topic")).ToHaveValueAsync(Topics.Ticks);
        await page.Locator("#reset-partitions").FillAsync("0");
        await page.Locator("#reset-to").SelectOptionAsync("latest");

        await page.GetByRole(AriaRole.Button, new() { Name = "Dry run" }).ClickAsync();
        await Assertions.Expect(page.Locator("#reset-result")).ToHaveTextAsync($"Dry run: cryptoetl-processor on {Topics.Ticks} would go from lag 2 to 0.");
        await Assertions.Expect(page.Locator("#reset-plan tbody tr")).ToHaveTextAsync("013320"); // partition, committed, new offset, end, lag before, lag after

        page.Dialog += (_, dialog) => dialog.AcceptAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Reset", Exact = true }).ClickAsync();
        await Assertions.Expect(page.Locator("#reset-result")).ToHaveTextAsync($"Reset cryptoetl-processor on {Topics.Ticks}: lag 2 → 0.");
        await Assertions.Expect(page.Locator("#group-partitions tr", new() { HasText = $"{Topics.Ticks}/0" })).ToHaveTextAsync($"cryptoetl-processor{Topics.Ticks}/0330");
        await ConsoleBrowser.SaveAsync(page, "reset-offsets");
    }

    [Fact]
    public async Task The_theme_switches_to_dark_and_stays_so()
    {
        var page = await OpenTicksAsync();
        var light = await page.EvaluateAsync<string>("getComputedStyle(document.body).backgroundColor");

        await page.Locator("#theme").ClickAsync();

        await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("data-theme", "dark");
        Assert.Equal("rgb(31, 31, 31)", await page.EvaluateAsync<string>("getComputedStyle(document.body).backgroundColor"));
        Assert.NotEqual("rgb(31, 31, 31)", light);
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("html")).ToHaveAttributeAsync("data-theme", "dark");
        await Assertions.Expect(page.Locator("#topics tbody tr")).ToHaveCountAsync(Topics.All.Count);
        await ConsoleBrowser.SaveAsync(page, "topics-dark");
    }

    private async Task<IPage> OpenTicksAsync()
    {
        var page = await Browser.OpenAsync("topics");
        await page.Locator("#topics tr", new() { HasText = Topics.Ticks }).GetByRole(AriaRole.Button, new() { Name = "Browse" }).ClickAsync();
        await Assertions.Expect(page.Locator("#browse-title")).ToContainTextAsync($"{Topics.Ticks}: the newest");
        return page;
    }
}

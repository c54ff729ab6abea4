using System.Net.Http.Json;
using System.Text.Json;
using CryptoEtl.Contracts;
using Microsoft.Playwright;

namespace CryptoEtl.ControlCenter.Tests;

/// <summary>The dead-letters page in headless Chromium, on a console of its own: its replay changes the topics.</summary>
public sealed class DeadLetterPageTests(ConsoleFixture console) : ConsolePageTest(console), IClassFixture<ConsoleFixture>
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_dead_letters_page_groups_them_and_replays_a_group_after_a_confirmation()
    {
        var page = await Browser.OpenAsync("deadletters");
        var group = page.Locator("#deadletter-groups tr", new() { HasText = "contract_violation" });
        await Assertions.Expect(group).ToContainTextAsync("load");
        await Assertions.Expect(page.Locator("#deadletters")).ToContainTextAsync("price: NaN is not a finite number");
        await ConsoleBrowser.SaveAsync(page, "deadletters");
        var before = await TicksAsync();

        string? asked = null;
        page.Dialog += async (_, dialog) =>
        {
            asked = dialog.Message;
            await dialog.AcceptAsync();
        };
        await group.GetByRole(AriaRole.Button, new() { Name = "Replay" }).ClickAsync();

        await Assertions.Expect(page.Locator("#replayed")).ToContainTextAsync("Replayed 1");
        Assert.Equal("Send the load / contract_violation dead letters back to the topics they came from?", asked);
        Assert.Equal(before + 1, await TicksAsync()); // back on the topic it came from
    }

    private async Task<long> TicksAsync() =>
        (await Fixture.Http.GetFromJsonAsync<JsonElement>("/api/topics", Cancel)).EnumerateArray()
            .Single(t => t.GetProperty("name").GetString() == Topics.Ticks).GetProperty("messages").GetInt64();
}

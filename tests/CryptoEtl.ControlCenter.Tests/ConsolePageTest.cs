namespace CryptoEtl.ControlCenter.Tests;

/// <summary>A test class that opens the console's pages in headless Chromium: one browser per test, closed after it.</summary>
public abstract class ConsolePageTest(ConsoleFixture console) : IAsyncLifetime
{
    protected ConsoleFixture Fixture => console;

    protected ConsoleBrowser Browser { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Browser = await ConsoleBrowser.StartAsync(console.Http.BaseAddress!);

    public async ValueTask DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }
    }
}

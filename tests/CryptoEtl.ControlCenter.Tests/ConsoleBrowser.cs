using Microsoft.Playwright;

namespace CryptoEtl.ControlCenter.Tests;

/// <summary>
/// Headless Chromium (Debian's, driven by Playwright) on the console's pages: opens one, and saves a screenshot of it
/// under the test output's <c>screenshots/</c>. Skips the test where Chromium is not installed. The AppHost's tests
/// link this file too (they open the console of a whole embedded run).
/// </summary>
public sealed class ConsoleBrowser : IAsyncDisposable
{
    /// <summary>The browser itself; /usr/bin/chromium is Debian's wrapper script.</summary>
    private const string Chromium = "/usr/lib/chromium/chromium";

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;
    private readonly Uri _console;

    private ConsoleBrowser(IPlaywright playwright, IBrowser browser, Uri console) => (_playwright, _browser, _console) = (playwright, browser, console);

    public static bool Installed => File.Exists(Chromium);

    public static async Task<ConsoleBrowser> StartAsync(Uri console)
    {
        if (!Installed)
        {
            Assert.Skip($"Chromium is not installed here ({Chromium}; apt-get install chromium, which .ci/run does).");
        }

        // The page refreshes each section every 2-30 s, and a run's data (candles, rates) may come a few seconds later.
        Assertions.SetDefaultExpectTimeout(20_000);
        var playwright = await Playwright.CreateAsync();
        return new ConsoleBrowser(playwright, await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Args = ["--no-sandbox"] }), console);
    }

    /// <summary>Opens a page (<c>topics</c>, <c>groups</c>, ...) and waits until it shows.</summary>
    public async Task<IPage> OpenAsync(string name)
    {
        var page = await _browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        await page.GotoAsync(new Uri(_console, $"/#{name}").ToString());
        await Assertions.Expect(page.Locator($"section[data-page={name}]")).ToBeVisibleAsync();
        return page;
    }

    public static async Task SaveAsync(IPage page, string name)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "screenshots", $"{name}.png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        Assert.True(new FileInfo(path).Length > 10_000, $"the screenshot {path} is empty");
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}

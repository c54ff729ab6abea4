using CryptoEtl.TestSupport;

namespace CryptoEtl.AppHost.Tests.Embedded;

/// <summary>The control center's page as headless Chromium renders it, script run.</summary>
internal static class ControlCenterPage
{
    public static async Task<string> RenderAsync(string url, CancellationToken cancellation)
    {
        var page = await ExternalTool.RunAsync("chromium",
            ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", "--virtual-time-budget=5000", "--dump-dom", url],
            timeout: TimeSpan.FromSeconds(90), cancellation: cancellation);
        Assert.True(page.ExitCode == 0, page.Error);
        return page.Output;
    }
}

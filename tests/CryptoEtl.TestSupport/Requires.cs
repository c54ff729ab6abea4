using Xunit;

namespace CryptoEtl.TestSupport;

/// <summary>Skips a test, with the reason, when this machine lacks something it needs; CI installs all of it.</summary>
public static class Requires
{
    public static void Tool(string tool, string debianPackage)
    {
        var missing = ExternalTool.Missing(tool, debianPackage);
        Assert.SkipWhen(missing is not null, missing ?? "");
    }
}

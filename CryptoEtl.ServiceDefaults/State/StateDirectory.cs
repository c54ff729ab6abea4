using Microsoft.Extensions.Configuration;

namespace CryptoEtl.ServiceDefaults.State;

/// <summary>
/// Where a service keeps its local files (SQLite, LiteDB, checkpoints, dedupe state): the <c>StateDir</c> setting
/// (<c>--StateDir dir</c> or the <c>StateDir</c> environment variable), by default <c>.cryptoetl/&lt;service&gt;</c>
/// under the working directory.
/// </summary>
public static class StateDirectory
{
    public const string SettingName = "StateDir";

    public static string Resolve(IConfiguration configuration, string service)
    {
        var configured = configuration[SettingName];
        var directory = Path.GetFullPath(string.IsNullOrWhiteSpace(configured) ? Path.Combine(".cryptoetl", service) : configured);
        Directory.CreateDirectory(directory);
        return directory;
    }
}

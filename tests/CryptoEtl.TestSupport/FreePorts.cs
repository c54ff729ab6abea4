using System.Net;
using System.Net.Sockets;

namespace CryptoEtl.TestSupport;

/// <summary>
/// Loopback ports nothing listens on, for a server a test starts later or a child process it points elsewhere. They are
/// taken below the kernel's ephemeral range (<c>/proc/sys/net/ipv4/ip_local_port_range</c>): a port from that range is
/// free only until any process's next outgoing connection or port-0 listener takes it, which the test projects running
/// side by side did (an AppHost test's resource-service port taken by the console tests' connections). A port handed out
/// is claimed with a file under the temp folder, so that two test processes are never given the same one.
/// </summary>
public static class FreePorts
{
    private const int Lowest = 10_000;

    private static readonly TimeSpan ClaimLifetime = TimeSpan.FromMinutes(30);

    private static readonly string Claims = Path.Combine(Path.GetTempPath(), "cryptoetl-test-ports");

    public static int Next()
    {
        var below = EphemeralLow();
        if (below - Lowest < 1_000)
        {
            return AnyFree(); // no room below the ephemeral range: the kernel's choice
        }

        Directory.CreateDirectory(Claims);
        for (var attempt = 0; attempt < 1_000; attempt++)
        {
            var port = Random.Shared.Next(Lowest, below);
            if (Claim(port) && Bindable(port))
            {
                return port;
            }
        }

        throw new InvalidOperationException($"No free loopback port between {Lowest} and {below} after 1,000 tries.");
    }

    private static bool Claim(int port)
    {
        var claim = Path.Combine(Claims, port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (File.Exists(claim) && DateTime.UtcNow - File.GetLastWriteTimeUtc(claim) > ClaimLifetime)
        {
            File.Delete(claim); // left by an earlier run
        }

        try
        {
            using var created = new FileStream(claim, FileMode.CreateNew, FileAccess.Write);
            return true;
        }
        catch (IOException)
        {
            return false; // another test process has it
        }
    }

    private static bool Bindable(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int EphemeralLow()
    {
        try
        {
            return int.Parse(File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0],
                System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return 32_768; // Linux's default
        }
    }

    private static int AnyFree()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

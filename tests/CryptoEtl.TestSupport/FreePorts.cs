using System.Net;
using System.Net.Sockets;

namespace CryptoEtl.TestSupport;

/// <summary>Loopback ports nothing listens on, for a server a test starts later or a child process it points elsewhere.</summary>
public static class FreePorts
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

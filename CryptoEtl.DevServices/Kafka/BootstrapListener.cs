using System.Net;
using System.Net.Sockets;

namespace CryptoEtl.DevServices.Kafka;

/// <summary>
/// A fixed bootstrap address for the embedded broker, which can only listen on a port of its own choosing. Clients
/// connect here for their first requests (API versions, metadata); the metadata names the broker's own address, so
/// every later connection, and so all produce and fetch traffic, goes to the broker directly.
/// </summary>
public sealed class BootstrapListener : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly DnsEndPoint _broker;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public BootstrapListener(int port, string brokerBootstrapServers)
    {
        var first = brokerBootstrapServers.Split(',')[0];
        var colon = first.LastIndexOf(':');
        _broker = new DnsEndPoint(first[..colon], int.Parse(first[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        _listener = new TcpListener(IPAddress.Loopback, port);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = Task.Run(AcceptAsync);
    }

    public int Port { get; }

    public string BootstrapServers => $"127.0.0.1:{Port}";

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => ForwardAsync(client));
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        using (client)
        using (var broker = new TcpClient())
        {
            try
            {
                await broker.ConnectAsync(_broker.Host, _broker.Port, _stop.Token);
                var clientStream = client.GetStream();
                var brokerStream = broker.GetStream();
                // When either side closes, the other is closed too.
                await Task.WhenAny(clientStream.CopyToAsync(brokerStream, _stop.Token), brokerStream.CopyToAsync(clientStream, _stop.Token));
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // A client that hangs up, or the broker stopping: nothing to keep.
            }
        }
    }
}

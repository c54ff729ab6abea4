using CryptoEtl.TestSupport;

namespace CryptoEtl.DevServices.Tests.Kafka;

/// <summary><c>CryptoEtl.DevServices kafka</c> as a user runs it.</summary>
public sealed class KafkaCommandTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Standalone_broker_prints_its_address_serves_kcat_takes_commands_and_quits()
    {
        Requires.Tool("kcat", "kcat");
        await using var process = ChildProcess.StartDotnet("CryptoEtl.DevServices.dll", ["kafka", "--topic", "demo", "--partitions", "4"]);
        var bootstrap = (await process.WaitForLineAsync(@"^bootstrap\.servers=(\S+)$", TimeSpan.FromSeconds(30), Cancel)).Groups[1].Value;

        var metadata = await ExternalTool.RunAsync("kcat", ["-b", bootstrap, "-L", "-t", "demo"], cancellation: Cancel);
        Assert.Contains("topic \"demo\" with 4 partitions", metadata.Output, StringComparison.Ordinal);

        await process.WriteLineAsync("topic second 2");
        await process.WaitForLineAsync("^ok: topic second with 2 partition", TimeSpan.FromSeconds(10), Cancel);
        await process.WriteLineAsync("fail Produce:NoSuchError");
        await process.WaitForLineAsync("^error: Unknown Kafka error 'NoSuchError'", TimeSpan.FromSeconds(10), Cancel);
        await process.WriteLineAsync("down 1");
        await process.WaitForLineAsync("^ok: broker 1 is down", TimeSpan.FromSeconds(10), Cancel);
        await process.WriteLineAsync("up 1");
        await process.WaitForLineAsync("^ok: broker 1 is up", TimeSpan.FromSeconds(10), Cancel);

        await process.WriteLineAsync("quit");
        Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task With_a_port_the_printed_address_is_that_port_and_clients_bootstrap_through_it()
    {
        Requires.Tool("kcat", "kcat");
        var port = FreePorts.Next();
        await using var process = ChildProcess.StartDotnet("CryptoEtl.DevServices.dll", ["kafka", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--topic", "fixed"]);
        var bootstrap = (await process.WaitForLineAsync(@"^bootstrap\.servers=(\S+)$", TimeSpan.FromSeconds(30), Cancel)).Groups[1].Value;

        Assert.Equal($"127.0.0.1:{port}", bootstrap);
        var metadata = await ExternalTool.RunAsync("kcat", ["-b", bootstrap, "-L", "-t", "fixed"], cancellation: Cancel);
        Assert.Contains("topic \"fixed\" with 3 partitions", metadata.Output, StringComparison.Ordinal);

        await process.WriteLineAsync("quit");
        Assert.Equal(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(20)));
    }

    [Theory]
    [InlineData("--partitions", "0", "--partitions must be between 1 and 1000 (got 0)")]
    [InlineData("--port", "70000", "--port must be between 1 and 65535 (got 70000)")]
    [InlineData("--brokers", "17", "--brokers must be between 1 and 16 (got 17)")]
    [InlineData("--fail", "Produce:Gremlins", "Unknown Kafka error 'Gremlins'")]
    [InlineData("--fail", "Telepathy:RequestTimedOut", "Unknown Kafka API 'Telepathy'")]
    public async Task Invalid_options_give_a_clear_error_and_a_non_zero_exit(string option, string value, string message)
    {
        await using var process = ChildProcess.StartDotnet("CryptoEtl.DevServices.dll", ["kafka", option, value]);

        Assert.NotEqual(0, await process.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains(message, process.Transcript, StringComparison.Ordinal);
    }
}

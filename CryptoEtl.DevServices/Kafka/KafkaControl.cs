namespace CryptoEtl.DevServices.Kafka;

/// <summary>Line commands that drive a running embedded broker (standalone mode reads them from stdin).</summary>
internal static class KafkaControl
{
    /// <summary>Runs until "quit", the end of input, or cancellation.</summary>
    public static async Task RunAsync(EmbeddedKafkaBroker broker, TextReader input, TextWriter output, CancellationToken cancellation)
    {
        while (!cancellation.IsCancellationRequested)
        {
            string? line;
            try
            {
                line = await input.ReadLineAsync(cancellation);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (line is null)
            {
                // stdin closed (e.g. started in the background): keep serving until cancelled.
                await WaitForCancellation(cancellation);
                return;
            }

            if (line.Trim() is "quit" or "exit")
            {
                return;
            }

            if (line.Length > 0)
            {
                await output.WriteLineAsync(Execute(broker, line));
            }
        }
    }

    public static string Execute(EmbeddedKafkaBroker broker, string line)
    {
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        try
        {
            switch (words)
            {
                case ["topic", var name, var count] when int.TryParse(count, out var partitions):
                    broker.CreateTopic(name, partitions);
                    return $"ok: topic {name} with {partitions} partition(s)";
                case ["down", var id] when int.TryParse(id, out var brokerId):
                    broker.TakeBrokerDown(brokerId);
                    return $"ok: broker {brokerId} is down";
                case ["up", var id] when int.TryParse(id, out var brokerId):
                    broker.BringBrokerUp(brokerId);
                    return $"ok: broker {brokerId} is up";
                case ["fail", var text]:
                    if (!KafkaFault.TryParse(text, out var fault, out var problem))
                    {
                        return $"error: {problem}";
                    }

                    broker.Apply(fault!);
                    return $"ok: next {fault!.Count} {fault.Api} request(s) fail with {fault.Error}";
                default:
                    return $"error: unknown command '{line}'. Commands: topic <name> <partitions> | down <broker> | up <broker> | fail {KafkaFault.Syntax} | quit";
            }
        }
        catch (Exception e) when (e is ArgumentException or Confluent.Kafka.KafkaException)
        {
            return $"error: {e.Message}";
        }
    }

    private static async Task WaitForCancellation(CancellationToken cancellation)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, cancellation);
        }
        catch (OperationCanceledException)
        {
        }
    }
}

using System.CommandLine;
using CryptoEtl.Contracts;

namespace CryptoEtl.DevServices.Kafka;

/// <summary><c>dotnet run --project CryptoEtl.DevServices -- kafka</c>: the embedded broker on its own, for kcat and friends.</summary>
internal static class KafkaCommand
{
    public static Command Create()
    {
        var partitions = new Option<int>("--partitions")
        {
            Description = "Partitions of each topic created with --topic.",
            DefaultValueFactory = _ => 3,
        };
        partitions.Validators.Add(result =>
        {
            var value = result.GetValue(partitions);
            if (value is < 1 or > EmbeddedKafkaBroker.MaxPartitions)
            {
                result.AddError($"--partitions must be between 1 and {EmbeddedKafkaBroker.MaxPartitions} (got {value}).");
            }
        });

        var brokers = new Option<int>("--brokers")
        {
            Description = "Number of brokers in the cluster (1-16).",
            DefaultValueFactory = _ => 1,
        };
        brokers.Validators.Add(result =>
        {
            var value = result.GetValue(brokers);
            if (value is < 1 or > 16)
            {
                result.AddError($"--brokers must be between 1 and 16 (got {value}).");
            }
        });

        var topics = new Option<string[]>("--topic")
        {
            Description = "A topic to create at start (repeatable). Other topics are created on first use.",
            AllowMultipleArgumentsPerToken = true,
        };

        var faults = new Option<string[]>("--fail")
        {
            Description = $"Make requests fail at start (repeatable): {KafkaFault.Syntax}.",
        };
        faults.Validators.Add(result =>
        {
            foreach (var text in result.GetValue(faults) ?? [])
            {
                if (!KafkaFault.TryParse(text, out _, out var problem))
                {
                    result.AddError(problem!);
                }
            }
        });

        var port = new Option<int?>("--port")
        {
            Description = "Also answer bootstrap requests on this loopback port (the broker itself listens on one of its own choosing).",
        };
        port.Validators.Add(result =>
        {
            if (result.GetValue(port) is < 1 or > 65535)
            {
                result.AddError($"--port must be between 1 and 65535 (got {result.GetValue(port)}).");
            }
        });

        var pipelineTopics = new Option<bool>("--pipeline-topics")
        {
            Description = "Create the pipeline's topics with their partition counts (CryptoEtl.Contracts.Topics).",
        };

        var command = new Command("kafka", "Run the embedded Kafka broker (librdkafka's built-in broker) and print its bootstrap address.")
        {
            partitions, brokers, topics, faults, port, pipelineTopics,
        };

        command.SetAction(async (parse, cancellation) =>
        {
            using var broker = EmbeddedKafkaBroker.Start(parse.GetValue(brokers));
            foreach (var topic in parse.GetValue(pipelineTopics) ? Topics.All : [])
            {
                broker.CreateTopic(topic.Name, topic.Partitions);
            }

            foreach (var topic in parse.GetValue(topics) ?? [])
            {
                broker.CreateTopic(topic, parse.GetValue(partitions));
            }

            foreach (var text in parse.GetValue(faults) ?? [])
            {
                KafkaFault.TryParse(text, out var fault, out _);
                broker.Apply(fault!);
            }

            await using var listener = parse.GetValue(port) is { } fixedPort ? new BootstrapListener(fixedPort, broker.BootstrapServers) : null;
            var bootstrap = listener?.BootstrapServers ?? broker.BootstrapServers;
            Console.WriteLine($"bootstrap.servers={bootstrap}");
            Console.WriteLine($"Embedded Kafka is up ({broker.BrokerCount} broker(s), data in memory only). Try: kcat -b {bootstrap} -L");
            Console.WriteLine("Commands on stdin: topic <name> <partitions> | down <broker> | up <broker> | fail <api>:<error>[:<count>] | quit");

            await KafkaControl.RunAsync(broker, Console.In, Console.Out, cancellation);
            Console.WriteLine("Embedded Kafka stopped.");
            return 0;
        });

        return command;
    }
}

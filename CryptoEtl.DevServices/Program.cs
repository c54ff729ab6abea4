using System.CommandLine;
using CryptoEtl.DevServices.CoinGecko;
using CryptoEtl.DevServices.Kafka;
using CryptoEtl.DevServices.Scheduler;
using CryptoEtl.DevServices.SchemaRegistry;

var root = new RootCommand("CryptoEtl embedded stand-ins: run one on its own for kcat, curl or a browser.")
{
    KafkaCommand.Create(),
    SchemaRegistryCommand.Create(),
    CoinGeckoCommand.Create(),
    SchedulerCommand.Create(),
};

// Ctrl+C cancels the action; System.CommandLine would force exit 130 after 2 s, before flushing and checkpointing end.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromMinutes(1) });

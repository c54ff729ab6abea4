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

// No forced exit 2 s after Ctrl+C (System.CommandLine's default): stopping drains and flushes, which can take longer.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });

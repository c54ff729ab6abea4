using System.CommandLine;
using CryptoEtl.DevServices.Kafka;

var root = new RootCommand("CryptoEtl embedded stand-ins: run one on its own for kcat, curl or a browser.")
{
    KafkaCommand.Create(),
};

return await root.Parse(args).InvokeAsync();

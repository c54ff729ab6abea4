using CryptoEtl.Processor;

await ProcessorApp.Build(args).RunAsync();

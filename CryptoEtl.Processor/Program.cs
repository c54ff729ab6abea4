using CryptoEtl.Processor;

return await ProcessorApp.Build(args).RunServiceAsync();

using CryptoEtl.Ingest;

await IngestApp.Build(args).RunAsync();

using CryptoEtl.Ingest;

return await IngestApp.Build(args).RunServiceAsync();

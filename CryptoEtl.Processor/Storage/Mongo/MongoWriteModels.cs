using MongoDB.Bson;
using MongoDB.Driver;

namespace CryptoEtl.Processor.Storage.Mongo;

/// <summary>
/// The MongoDB write models as plain functions, so their BSON is unit-tested without a server:
/// replace-by-id upserts for ticks and alerts, and for candles and latest quotes a pipeline update that replaces the
/// stored document only when the new one is newer (by version, by event time). Order inside an unordered bulk write
/// therefore does not matter, and a stale update is a no-op, not an error.
/// </summary>
public static class MongoWriteModels
{
    public static BsonDocument ToBson(StoreDocument document)
    {
        var bson = new BsonDocument("_id", document.Id);
        foreach (var (name, value) in document.Fields)
        {
            bson[name] = value switch
            {
                null => BsonNull.Value,
                DateTime time => new BsonDateTime(DateTime.SpecifyKind(time, DateTimeKind.Utc)),
                _ => BsonValue.Create(value),
            };
        }

        return bson;
    }

    public static BsonDocument IdFilter(string id) => new("_id", id);

    /// <summary>Insert or overwrite: for documents whose content is fully determined by their id.</summary>
    public static ReplaceOneModel<BsonDocument> Upsert(StoreDocument document) =>
        new(IdFilter(document.Id), ToBson(document)) { IsUpsert = true };

    /// <summary>
    /// Insert, or replace only if the stored <paramref name="field"/> is smaller than the new one. The new document is
    /// passed as a $literal so no value (a "$" in a coin name or message) is read as an expression.
    /// </summary>
    public static UpdateOneModel<BsonDocument> UpsertIfNewer(StoreDocument document, string field) =>
        new(IdFilter(document.Id), new PipelineUpdateDefinition<BsonDocument>(ReplaceIfNewerPipeline(document, field))) { IsUpsert = true };

    public static BsonDocument[] ReplaceIfNewerPipeline(StoreDocument document, string field)
    {
        var candidate = ToBson(document);
        return
        [
            new BsonDocument("$replaceWith", new BsonDocument("$cond", new BsonDocument
            {
                { "if", new BsonDocument("$lt", new BsonArray { $"${field}", candidate[field] }) },
                { "then", new BsonDocument("$literal", candidate) },
                { "else", "$$ROOT" },
            })),
        ];
    }
}

using CryptoEtl.Processor.Storage;
using CryptoEtl.Processor.Storage.Mongo;
using MongoDB.Bson;
using MongoDB.Bson.IO;
using MongoDB.Bson.Serialization;
using MongoDB.Driver;
using static CryptoEtl.Processor.Tests.Samples;

namespace CryptoEtl.Processor.Tests.Storage;

/// <summary>Golden tests of the BSON MongoDB receives, checked here because no MongoDB server runs on this machine.</summary>
public sealed class MongoWriteModelsTests
{
    private static readonly JsonWriterSettings Json = new() { OutputMode = JsonOutputMode.CanonicalExtendedJson };

    private static string Render(FilterDefinition<BsonDocument> filter) =>
        filter.Render(new RenderArgs<BsonDocument>(BsonSerializer.SerializerRegistry.GetSerializer<BsonDocument>(), BsonSerializer.SerializerRegistry)).ToJson(Json);

    private static string Render(UpdateDefinition<BsonDocument> update) =>
        update.Render(new RenderArgs<BsonDocument>(BsonSerializer.SerializerRegistry.GetSerializer<BsonDocument>(), BsonSerializer.SerializerRegistry)).ToJson(Json);

    [Fact]
    public void A_tick_is_an_upsert_replacing_by_its_coin_and_time_id()
    {
        var model = MongoWriteModels.Upsert(StoreDocuments.Tick(Tick("bitcoin", 0, 42632) with { MarketCapRank = 1 }));

        Assert.True(model.IsUpsert);
        Assert.Equal("""{ "_id" : "bitcoin|1795514400000" }""", Render(model.Filter));
        Assert.Equal(
            """{ "_id" : "bitcoin|1795514400000", "coin_id" : "bitcoin", "symbol" : "bit", "event_time" : { "$date" : { "$numberLong" : "1795514400000" } }, "price" : { "$numberDouble" : "42632.0" }, "market_cap" : { "$numberDouble" : "42632000.0" }, "total_volume" : { "$numberDouble" : "500000.0" }, "market_cap_rank" : { "$numberInt" : "1" }, "previous_price" : null, "change" : null, "change_pct" : null, "log_return" : null, "vs_currency" : "usd", "source" : "simulator", "run_id" : "r" }""",
            model.Replacement.ToJson(Json));
    }

    [Fact]
    public void A_candle_replaces_the_stored_one_only_when_its_version_is_higher()
    {
        var model = MongoWriteModels.UpsertIfNewer(StoreDocuments.Candle(Candle("eth", 0, 7, 2301.5, final: true)), "version");

        Assert.True(model.IsUpsert);
        Assert.Equal("""{ "_id" : "eth|1m|1795514400000" }""", Render(model.Filter));
        var pipeline = Render(model.Update);
        Assert.StartsWith(
            """[{ "$replaceWith" : { "$cond" : { "if" : { "$lt" : ["$version", { "$numberLong" : "7" }] }, "then" : { "$literal" : { "_id" : "eth|1m|1795514400000", "coin_id" : "eth", "interval" : "1m", """,
            pipeline, StringComparison.Ordinal);
        Assert.EndsWith("""  "version" : { "$numberLong" : "7" }, "final" : true } }, "else" : "$$ROOT" } } }]""".TrimStart(), pipeline, StringComparison.Ordinal);
    }

    [Fact]
    public void The_latest_quote_replaces_the_stored_one_only_when_its_event_time_is_later()
    {
        var model = MongoWriteModels.UpsertIfNewer(StoreDocuments.Latest(Tick("sol", 3, 104.6)), "event_time");

        Assert.Equal("""{ "_id" : "sol" }""", Render(model.Filter));
        Assert.Contains("""{ "$lt" : ["$event_time", { "$date" : { "$numberLong" : "1795514580000" } }] }""", Render(model.Update), StringComparison.Ordinal);
    }

    [Fact]
    public void Values_that_look_like_expressions_are_passed_as_literals()
    {
        var alert = Samples.Alert("$where", 0) with { Message = "$$ROOT price $1" };

        var pipeline = MongoWriteModels.ReplaceIfNewerPipeline(StoreDocuments.Alert(alert), "event_time");

        var replacement = pipeline[0]["$replaceWith"]["$cond"]["then"].AsBsonDocument;
        Assert.Equal("$literal", replacement.GetElement(0).Name);
        Assert.Equal("$$ROOT price $1", replacement["$literal"]["message"].AsString);
    }

    [Fact]
    public void An_alert_is_an_upsert_by_its_deterministic_id()
    {
        var model = MongoWriteModels.Upsert(StoreDocuments.Alert(Samples.Alert("sol", 2)));

        Assert.Equal("""{ "_id" : "sol|1795514520000|ZScore" }""", Render(model.Filter));
        Assert.Equal("zscore", model.Replacement["kind"].AsString);
    }
}

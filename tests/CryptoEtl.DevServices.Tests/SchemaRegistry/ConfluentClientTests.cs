using Confluent.SchemaRegistry;

namespace CryptoEtl.DevServices.Tests.SchemaRegistry;

/// <summary>The real Confluent.SchemaRegistry client against the stand-in.</summary>
public sealed class ConfluentClientTests : IAsyncLifetime
{
    private const string V1 = """{"type":"record","name":"Trade","namespace":"test","fields":[{"name":"coin","type":"string"}]}""";
    private const string V2 = """{"type":"record","name":"Trade","namespace":"test","fields":[{"name":"coin","type":"string"},{"name":"qty","type":"double","default":0}]}""";
    private const string Breaking = """{"type":"record","name":"Trade","namespace":"test","fields":[{"name":"coin","type":"string"},{"name":"qty","type":"double"}]}""";

    private RegistryServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await RegistryServer.StartAsync();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Registers_looks_up_and_lists_versions()
    {
        var client = _server.Client;
        var id1 = await client.RegisterSchemaAsync("trades-value", new Schema(V1, SchemaType.Avro));
        var id2 = await client.RegisterSchemaAsync("trades-value", new Schema(V2, SchemaType.Avro));

        Assert.NotEqual(id1, id2);
        Assert.Equal(id1, await client.GetSchemaIdAsync("trades-value", new Schema(V1, SchemaType.Avro)));
        Assert.Equal([1, 2], await client.GetSubjectVersionsAsync("trades-value"));
        Assert.Equal(["trades-value"], await client.GetAllSubjectsAsync());

        var latest = await client.GetLatestSchemaAsync("trades-value");
        Assert.Equal((2, id2), (latest.Version, latest.Id));
        var first = await client.GetRegisteredSchemaAsync("trades-value", 1);
        Assert.Equal(id1, first.Id);
        Assert.Equal(Avro.Schema.Parse(V1).ToString(), (await client.GetSchemaAsync(id1)).SchemaString);
    }

    [Fact]
    public async Task The_same_schema_gets_the_same_global_id_in_every_subject_whatever_its_whitespace()
    {
        var client = _server.Client;
        var id = await client.RegisterSchemaAsync("a-value", new Schema(V1, SchemaType.Avro));
        var again = await client.RegisterSchemaAsync("a-value", new Schema(V1.Replace(",", ", ", StringComparison.Ordinal), SchemaType.Avro));
        var elsewhere = await client.RegisterSchemaAsync("b-value", new Schema(V1, SchemaType.Avro));

        Assert.Equal(id, again);
        Assert.Equal(id, elsewhere);
        Assert.Equal([1], await client.GetSubjectVersionsAsync("a-value"));
    }

    [Fact]
    public async Task Checks_and_enforces_compatibility()
    {
        var client = _server.Client;
        await client.RegisterSchemaAsync("trades-value", new Schema(V1, SchemaType.Avro));

        Assert.True(await client.IsCompatibleAsync("trades-value", new Schema(V2, SchemaType.Avro)));
        Assert.False(await client.IsCompatibleAsync("trades-value", new Schema(Breaking, SchemaType.Avro)));
        var refused = await Assert.ThrowsAsync<SchemaRegistryException>(() => client.RegisterSchemaAsync("trades-value", new Schema(Breaking, SchemaType.Avro)));
        Assert.Equal(409, refused.ErrorCode);
        Assert.Contains("READER_FIELD_MISSING_DEFAULT_VALUE", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reads_and_updates_compatibility_levels()
    {
        var client = _server.Client;
        Assert.Equal(Compatibility.Backward, await client.GetCompatibilityAsync());

        await client.UpdateCompatibilityAsync(Compatibility.None, "trades-value");
        await client.RegisterSchemaAsync("trades-value", new Schema(V1, SchemaType.Avro));
        await client.RegisterSchemaAsync("trades-value", new Schema(Breaking, SchemaType.Avro));

        Assert.Equal(Compatibility.None, await client.GetCompatibilityAsync("trades-value"));
        Assert.Equal(Compatibility.Backward, await client.GetCompatibilityAsync());
    }

    [Fact]
    public async Task Unknown_subjects_versions_and_ids_give_Confluent_error_codes()
    {
        var client = _server.Client;
        await client.RegisterSchemaAsync("trades-value", new Schema(V1, SchemaType.Avro));

        Assert.Equal(40401, (await Assert.ThrowsAsync<SchemaRegistryException>(() => client.GetLatestSchemaAsync("nobody-value"))).ErrorCode);
        Assert.Equal(40402, (await Assert.ThrowsAsync<SchemaRegistryException>(() => client.GetRegisteredSchemaAsync("trades-value", 7))).ErrorCode);
        Assert.Equal(40403, (await Assert.ThrowsAsync<SchemaRegistryException>(() => client.GetSchemaAsync(4242))).ErrorCode);
        Assert.Equal(40403, (await Assert.ThrowsAsync<SchemaRegistryException>(() => client.GetSchemaIdAsync("trades-value", new Schema(V2, SchemaType.Avro)))).ErrorCode);
        Assert.Equal(42201, (await Assert.ThrowsAsync<SchemaRegistryException>(() => client.RegisterSchemaAsync("x-value", new Schema("{\"type\":\"nope\"}", SchemaType.Avro)))).ErrorCode);
    }

    [Fact]
    public async Task Ids_subjects_and_levels_survive_a_restart()
    {
        var directory = Directory.CreateTempSubdirectory("registry-state").FullName;
        int id;
        await using (var first = await RegistryServer.StartAsync(directory))
        {
            await first.Client.RegisterSchemaAsync("other-value", new Schema("\"string\"", SchemaType.Avro));
            id = await first.Client.RegisterSchemaAsync("trades-value", new Schema(V1, SchemaType.Avro));
            await first.Client.UpdateCompatibilityAsync(Compatibility.Full, "trades-value");
        }

        await using var second = await RegistryServer.StartAsync(directory);
        Assert.Equal(id, await second.Client.GetSchemaIdAsync("trades-value", new Schema(V1, SchemaType.Avro)));
        Assert.Equal(Compatibility.Full, await second.Client.GetCompatibilityAsync("trades-value"));
        var next = await second.Client.RegisterSchemaAsync("new-value", new Schema("\"long\"", SchemaType.Avro));
        Assert.Equal(id + 1, next);
    }
}

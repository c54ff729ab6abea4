using System.Net;
using System.Text;
using System.Text.Json;
using CryptoEtl.DevServices.SchemaRegistry;

namespace CryptoEtl.DevServices.Tests.SchemaRegistry;

/// <summary>The REST API as curl and scripts see it: bodies, content type, and Confluent's error codes for bad input.</summary>
public sealed class RegistryHttpTests : IAsyncLifetime
{
    private const string Schema = """{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}""";

    private RegistryServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await RegistryServer.StartAsync();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static string Body(string schema) => JsonSerializer.Serialize(new { schema });

    private async Task<(HttpStatusCode Status, JsonElement Json, string? ContentType)> Send(HttpMethod method, string path, string? body = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, contentType);
        }

        using var response = await _server.Http.SendAsync(request, Cancel);
        var text = await response.Content.ReadAsStringAsync(Cancel);
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone(), response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Registration_answers_id_and_version_in_the_registry_content_type()
    {
        var (status, json, type) = await Send(HttpMethod.Post, "/subjects/s-value/versions", Body(Schema), SchemaRegistryApi.ContentType);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(1, json.GetProperty("id").GetInt32());
        Assert.Equal(1, json.GetProperty("version").GetInt32());
        Assert.Equal(SchemaRegistryApi.ContentType, type);
    }

    [Fact]
    public async Task Lookup_versions_ids_and_deletes_behave_like_Confluent()
    {
        await Send(HttpMethod.Post, "/subjects/s-value/versions", Body(Schema));

        var lookup = await Send(HttpMethod.Post, "/subjects/s-value", Body(Schema));
        Assert.Equal(("s-value", 1, 1), (lookup.Json.GetProperty("subject").GetString(), lookup.Json.GetProperty("version").GetInt32(), lookup.Json.GetProperty("id").GetInt32()));
        Assert.Equal("s-value", (await Send(HttpMethod.Get, "/schemas/ids/1/versions")).Json[0].GetProperty("subject").GetString());

        var permanentFirst = await Send(HttpMethod.Delete, "/subjects/s-value?permanent=true");
        Assert.Equal(40405, permanentFirst.Json.GetProperty("error_code").GetInt32());

        var soft = await Send(HttpMethod.Delete, "/subjects/s-value");
        Assert.Equal("[1]", soft.Json.GetRawText());
        Assert.Equal(40401, (await Send(HttpMethod.Get, "/subjects/s-value/versions")).Json.GetProperty("error_code").GetInt32());
        Assert.Equal(40404, (await Send(HttpMethod.Delete, "/subjects/s-value")).Json.GetProperty("error_code").GetInt32());
        Assert.Equal(HttpStatusCode.OK, (await Send(HttpMethod.Get, "/schemas/ids/1")).Status);
        Assert.Equal("[1]", (await Send(HttpMethod.Get, "/subjects/s-value/versions?deleted=true")).Json.GetRawText());
        Assert.Equal("[1]", (await Send(HttpMethod.Delete, "/subjects/s-value?permanent=true")).Json.GetRawText());
    }

    [Fact]
    public async Task Config_reads_with_compatibilityLevel_and_writes_with_compatibility()
    {
        Assert.Equal("BACKWARD", (await Send(HttpMethod.Get, "/config")).Json.GetProperty("compatibilityLevel").GetString());
        Assert.Equal("FULL", (await Send(HttpMethod.Put, "/config/s-value", """{"compatibility":"full"}""")).Json.GetProperty("compatibility").GetString());
        Assert.Equal("FULL", (await Send(HttpMethod.Get, "/config/s-value")).Json.GetProperty("compatibilityLevel").GetString());
        Assert.Equal(40408, (await Send(HttpMethod.Get, "/config/other-value")).Json.GetProperty("error_code").GetInt32());
        Assert.Equal("BACKWARD", (await Send(HttpMethod.Get, "/config/other-value?defaultToGlobal=true")).Json.GetProperty("compatibilityLevel").GetString());
    }

    [Fact]
    public async Task Verbose_compatibility_explains_the_problem()
    {
        await Send(HttpMethod.Post, "/subjects/s-value/versions", Body(Schema));

        var result = await Send(HttpMethod.Post, "/compatibility/subjects/s-value/versions/latest?verbose=true",
            Body("""{"type":"record","name":"R","fields":[{"name":"a","type":"string"}]}"""));

        Assert.False(result.Json.GetProperty("is_compatible").GetBoolean());
        Assert.Contains("TYPE_MISMATCH", result.Json.GetProperty("messages")[0].GetString(), StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string?, int, int> BadRequests => new()
    {
        // method, path, body, HTTP status, Confluent error code
        { "POST", "/subjects/s-value/versions", "this is not json", 400, 400 },
        { "POST", "/subjects/s-value/versions", "[1,2,3]", 400, 400 },
        { "POST", "/subjects/s-value/versions", """{"schema":{"type":"int"}}""", 400, 400 },
        { "POST", "/subjects/s-value/versions", "", 422, 422 },
        { "POST", "/subjects/s-value/versions", """{"schema":""}""", 422, 42201 },
        { "POST", "/subjects/s-value/versions", """{"schema":"{\"type\":\"record\",\"name\":\"R\"}"}""", 422, 42201 },
        { "POST", "/subjects/s-value/versions", """{"schema":"{\"type\":\"int\"}","schemaType":"PROTOBUF"}""", 422, 42201 },
        { "GET", "/subjects/missing-value/versions/1", null, 404, 40401 },
        { "GET", "/subjects/s-value/versions/2", null, 404, 40402 },
        { "GET", "/subjects/s-value/versions/zero", null, 422, 42202 },
        { "GET", "/subjects/s-value/versions/0", null, 422, 42202 },
        { "GET", "/schemas/ids/77", null, 404, 40403 },
        { "POST", "/subjects/s-value", """{"schema":"\"string\""}""", 404, 40403 },
        { "PUT", "/config", """{"compatibility":"SIDEWAYS"}""", 422, 42203 },
        { "PUT", "/config", """{"level":"FULL"}""", 422, 42203 },
        { "POST", "/subjects/s-value/versions", $$"""{"schema":"{{new string('x', 2 * 1024 * 1024)}}"}""", 413, 413 },
        { "GET", "/no/such/route", null, 404, 404 },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Bad_input_gets_Confluent_error_codes_never_a_stack_trace(string method, string path, string? body, int status, int code)
    {
        await Send(HttpMethod.Post, "/subjects/s-value/versions", Body(Schema));

        var result = await Send(new HttpMethod(method), path, body);

        Assert.Equal((HttpStatusCode)status, result.Status);
        Assert.Equal(code, result.Json.GetProperty("error_code").GetInt32());
        var message = result.Json.GetProperty("message").GetString();
        Assert.False(string.IsNullOrWhiteSpace(message));
        Assert.DoesNotContain("   at ", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_state_file_that_cannot_be_written_is_a_50001_not_a_crash()
    {
        var blocker = Path.GetTempFileName(); // a file where the state directory should be
        await using var server = await RegistryServer.StartAsync(Path.Combine(blocker, "registry"));

        using var response = await server.Http.PostAsync(new Uri("/subjects/s-value/versions", UriKind.Relative),
            new StringContent(Body(Schema), Encoding.UTF8, "application/json"), Cancel);
        var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement;

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal(50001, json.GetProperty("error_code").GetInt32());
        Assert.Equal(HttpStatusCode.OK, (await server.Http.GetAsync(new Uri("/subjects", UriKind.Relative), Cancel)).StatusCode);
    }

    /// <summary>
    /// A registration the state file cannot take (a full disk) did not happen: it is answered 50001 and forgotten, so
    /// its id is never handed out twice, and once there is room the registry carries on and reads back whole.
    /// </summary>
    [Fact]
    public async Task A_full_disk_refuses_a_registration_without_handing_out_its_id_and_the_registry_carries_on_once_there_is_room()
    {
        using var disk = TestSupport.SmallDisk.Mount(megabytes: 1);
        var directory = Path.Combine(disk.Path, "registry");
        const string other = """{"type":"record","name":"Other","fields":[{"name":"b","type":"string"}]}""";
        const string third = """{"type":"record","name":"Third","fields":[{"name":"c","type":"long"}]}""";
        await using (var server = await RegistryServer.StartAsync(directory))
        {
            Assert.Equal(1, await RegisterAsync(server, "a-value", Schema));

            disk.Fill();
            using (var refused = await server.Http.PostAsync(new Uri("/subjects/b-value/versions", UriKind.Relative), new StringContent(Body(other), Encoding.UTF8, "application/json"), Cancel))
            {
                Assert.Equal(HttpStatusCode.InternalServerError, refused.StatusCode);
                Assert.Contains("No space left on device", await refused.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
            }

            Assert.Equal("""["a-value"]""", await server.Http.GetStringAsync(new Uri("/subjects", UriKind.Relative), Cancel));
            disk.Free();
            Assert.Equal(2, await RegisterAsync(server, "c-value", third));
            Assert.Equal(3, await RegisterAsync(server, "b-value", other));
        }

        await using var restarted = await RegistryServer.StartAsync(directory);
        Assert.Equal(third, JsonDocument.Parse(await restarted.Http.GetStringAsync(new Uri("/schemas/ids/2", UriKind.Relative), Cancel)).RootElement.GetProperty("schema").GetString());
        Assert.Equal(3, await RegisterAsync(restarted, "b-value", other));
        Assert.Empty(Directory.GetFiles(directory, "*.tmp"));
    }

    private static async Task<int> RegisterAsync(RegistryServer server, string subject, string schema)
    {
        using var response = await server.Http.PostAsync(new Uri($"/subjects/{subject}/versions", UriKind.Relative), new StringContent(Body(schema), Encoding.UTF8, "application/json"), Cancel);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync(Cancel)).RootElement.GetProperty("id").GetInt32();
    }
}

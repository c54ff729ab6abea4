using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Confluent.Kafka;
using CryptoEtl.Contracts.Market;
using CryptoEtl.Contracts.Serialization;
using CryptoEtl.ControlCenter.Browsing;
using CryptoEtl.TestSupport;
using Microsoft.Extensions.Time.Testing;

namespace CryptoEtl.ControlCenter.Tests;

/// <summary>
/// The record browser's searches (from a time, by a filter), exports, kcat commands, and writing records (produce and
/// republish), against the embedded broker and registry, the console running as a process. Each test writes its own
/// topic: ten ticks a minute apart from <see cref="ConsoleFixture.T0"/> (prices 100..109; btc and eth by turns).
/// </summary>
public sealed class RecordOperationsTests(ConsoleFixture console) : IClassFixture<ConsoleFixture>
{
    private readonly HttpClient _http = console.Http;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Records_are_found_from_a_time_in_a_broker_without_a_time_index_and_across_partitions()
    {
        var topic = await TimelineAsync(partitions: 2);

        var one = await BrowseAsync($"/api/topics/{topic}/messages?partition=0&from={Iso(4)}&limit=2");
        Assert.Equal([104.0, 106.0], one.Select(r => r.GetProperty("value").GetProperty("price").GetDouble())); // partition 0 holds the even minutes

        var all = await BrowseAsync($"/api/topics/{topic}/messages?from={Iso(5)}&limit=3");
        Assert.Equal([(1, 2L), (0, 3L), (1, 3L)], all.Select(r => (r.GetProperty("partition").GetInt32(), r.GetProperty("offset").GetInt64()))); // minutes 5, 6, 7 in time order

        Assert.Empty(await BrowseAsync($"/api/topics/{topic}/messages?from={Iso(60)}"));
        Assert.Equal(10, (await BrowseAsync($"/api/topics/{topic}/messages?from={Iso(-60)}")).Count);
    }

    [Fact]
    public async Task A_filter_on_decoded_fields_searches_a_bounded_number_of_records_and_a_bad_one_says_where()
    {
        var topic = await TimelineAsync();

        using var response = await _http.GetAsync($"/api/topics/{topic}/messages?filter={Uri.EscapeDataString("price > 104 && coin_id == \"btc\"")}", Cancel);
        var found = (await response.Content.ReadFromJsonAsync<JsonElement>(Cancel)).EnumerateArray().ToList();

        Assert.Equal([108.0, 106.0], found.Select(r => r.GetProperty("value").GetProperty("price").GetDouble())); // newest first
        Assert.Equal("10", response.Headers.GetValues(TopicEndpoints.ScannedHeader).Single());

        using var bad = await _http.GetAsync($"/api/topics/{topic}/messages?filter={Uri.EscapeDataString("price >> 3")}", Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("filter: expected a field, a number, a \"text\", true, false, null or '(' at column 8, got '>'.",
            (await bad.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("detail").GetString());
        using var both = await _http.GetAsync($"/api/topics/{topic}/messages?partition=0&offset=1&from={Iso(1)}", Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, both.StatusCode);
    }

    [Fact]
    public async Task The_shown_records_export_as_json_lines_and_as_csv_with_a_column_per_field()
    {
        var topic = await TimelineAsync();
        var query = $"partition=0&offset=2&limit=3&filter={Uri.EscapeDataString("price != 103")}";

        var lines = (await _http.GetStringAsync($"/api/topics/{topic}/export?format=jsonl&{query}", Cancel)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([2L, 4L, 5L], lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("offset").GetInt64()));
        Assert.Equal(102.0, JsonDocument.Parse(lines[0]).RootElement.GetProperty("value").GetProperty("price").GetDouble());

        using var csv = await _http.GetAsync($"/api/topics/{topic}/export?format=csv&{query}", Cancel);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType!.MediaType);
        Assert.Equal($"{topic}.csv", csv.Content.Headers.ContentDisposition!.FileNameStar ?? csv.Content.Headers.ContentDisposition.FileName);
        var rows = (await csv.Content.ReadAsStringAsync(Cancel)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var header = rows[0].Split(',');
        Assert.Equal(["partition", "offset", "timestamp", "key", "coin_id"], header[..5]);
        Assert.Equal(4, rows.Length);
        var cells = rows[1].Split(',');
        Assert.Equal(("0", "2", "btc", "102"), (cells[0], cells[1], cells[Array.IndexOf(header, "coin_id")], cells[Array.IndexOf(header, "price")]));

        using var unknown = await _http.GetAsync($"/api/topics/{topic}/export?format=xml", Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
    }

    [Fact]
    public async Task A_records_kcat_command_prints_that_record_with_kcat()
    {
        Requires.Tool("kcat", "kcat");
        var topic = await TimelineAsync();
        var record = (await BrowseAsync($"/api/topics/{topic}/messages?partition=0&offset=6&limit=1")).Single();

        var command = record.GetProperty("kcat").GetString()!;
        using var kcat = Process.Start(new ProcessStartInfo("bash", ["-c", command]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = await kcat.StandardOutput.ReadToEndAsync(Cancel);
        await kcat.WaitForExitAsync(Cancel);

        Assert.Equal(0, kcat.ExitCode);
        var printed = JsonDocument.Parse(output).RootElement;
        Assert.Equal((topic, 0, 6L, "btc", At(6).ToUnixTimeMilliseconds()),
            (printed.GetProperty("topic").GetString(), printed.GetProperty("partition").GetInt32(), printed.GetProperty("offset").GetInt64(),
             printed.GetProperty("key").GetString(), printed.GetProperty("ts").GetInt64()));
    }

    [Fact]
    public async Task A_record_is_produced_from_json_with_the_topics_schema_and_a_value_that_does_not_fit_is_refused_field_by_field()
    {
        var topic = await TimelineAsync();
        var value = JsonNode.Parse($$"""{"coin_id":"sol","symbol":"sol","event_time":"{{At(30):O}}","price":42.5,"vs_currency":"usd","source":"simulator","run_id":"console"}""")!;

        using var produced = await _http.PostAsJsonAsync($"/api/topics/{topic}/records", new { key = "sol", value, headers = new Dictionary<string, string> { ["origin"] = "test" } }, Cancel);
        Assert.Equal(HttpStatusCode.Created, produced.StatusCode);
        var written = await produced.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(($"{topic}-value", 10L), (written.GetProperty("subject").GetString(), written.GetProperty("offset").GetInt64()));

        var read = (await BrowseAsync($"/api/topics/{topic}/messages?partition=0&offset=10&limit=1")).Single();
        Assert.Equal(("sol", 42.5, At(30)), (read.GetProperty("key").GetString(), read.GetProperty("value").GetProperty("price").GetDouble(),
            read.GetProperty("value").GetProperty("event_time").GetDateTimeOffset()));
        Assert.Equal("origin", read.GetProperty("headers")[0].GetProperty("key").GetString());
        // The pipeline's own deserializer reads it: the wire format and the schema are the topic's.
        var raw = console.Infrastructure.ReadAll(topic).Single(r => r.Offset.Value == 10);
        var tick = await new ContractDecoder<PriceTick>(console.Infrastructure.Registry, new FakeTimeProvider(At(30))).DecodeAsync(raw.Message.Value, topic);
        Assert.Equal(("sol", 42.5, null), (tick.Value?.CoinId, tick.Value?.Price, tick.Error));

        value["price"] = "a lot";
        value.AsObject().Remove("symbol");
        value["colour"] = "blue";
        using var refused = await _http.PostAsJsonAsync($"/api/topics/{topic}/records", new { key = "sol", value }, Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(["value.symbol: required (string), missing.", "value.price: expected a number (double), got \"a lot\".", "value.colour: not a field of PriceTick."],
            problem.GetProperty("errors").EnumerateArray().Select(e => e.GetString()));

        using var noTopic = await _http.PostAsJsonAsync($"/api/topics/{Contracts.Topics.Ticks}x/records", new { value }, Cancel);
        Assert.Equal(HttpStatusCode.NotFound, noTopic.StatusCode);
        var bare = $"bare.{Guid.NewGuid():N}";
        console.Infrastructure.Broker.CreateTopic(bare, 1);
        using var noSchema = await _http.PostAsJsonAsync($"/api/topics/{bare}/records", new { value }, Cancel);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noSchema.StatusCode);
        Assert.Equal($"There is no subject \"{bare}-value\": the console writes Avro with the topic's registered value schema only.",
            (await noSchema.Content.ReadFromJsonAsync<JsonElement>(Cancel)).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_record_shown_by_the_browser_is_republished_as_it_was_a_broken_value_included()
    {
        // The fixture's doge tick has a NaN price: the browser shows it as "NaN", and it can be written back as such.
        var doge = (await BrowseAsync($"/api/topics/{Contracts.Topics.Ticks}/messages?key=doge")).Single();

        using var republished = await _http.PostAsJsonAsync($"/api/topics/{Contracts.Topics.Ticks}/records",
            new { key = doge.GetProperty("key").GetString(), value = doge.GetProperty("value") }, Cancel);
        Assert.Equal(HttpStatusCode.Created, republished.StatusCode);
        var at = await republished.Content.ReadFromJsonAsync<JsonElement>(Cancel);

        var copy = (await BrowseAsync($"/api/topics/{Contracts.Topics.Ticks}/messages?partition={at.GetProperty("partition").GetInt32()}&offset={at.GetProperty("offset").GetInt64()}&limit=1")).Single();
        Assert.Equal(doge.GetProperty("value").GetRawText(), copy.GetProperty("value").GetRawText());
    }

    [Fact]
    public async Task A_read_only_console_refuses_every_write_and_still_reads()
    {
        await using var readOnly = ChildProcess.StartDotnet("CryptoEtl.ControlCenter.dll",
            ["--urls=http://127.0.0.1:0", $"--ConnectionStrings:kafka={console.Infrastructure.BootstrapServers}",
             $"--ConnectionStrings:schema-registry={console.Infrastructure.RegistryUrl}", "--ControlCenter:ReadOnly=true"]);
        using var http = new HttpClient { BaseAddress = new Uri((await readOnly.WaitForLineAsync(@"Now listening on: (http://\S+)", TimeSpan.FromSeconds(60), Cancel)).Groups[1].Value) };

        foreach (var (path, body) in new (string, object)[]
        {
            ($"/api/topics/{Contracts.Topics.Ticks}/records", new { key = "x", value = new { } }),
            ("/api/groups/cryptoetl-processor/offsets/reset", new { topic = Contracts.Topics.Ticks, to = "earliest", dryRun = true }),
            ("/api/deadletters/replay", new { }),
        })
        {
            using var response = await http.PostAsJsonAsync(path, body, Cancel);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            Assert.Contains("read-only (ControlCenter:ReadOnly)", await response.Content.ReadAsStringAsync(Cancel), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/api/topics/{Contracts.Topics.Ticks}/messages", Cancel)).StatusCode);
    }

    internal static DateTimeOffset At(int minutes) => ConsoleFixture.T0.AddMinutes(minutes);

    private static string Iso(int minutes) => Uri.EscapeDataString(At(minutes).ToString("O"));

    private async Task<List<JsonElement>> BrowseAsync(string path)
    {
        using var response = await _http.GetAsync(path, Cancel);
        var body = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.IsSuccessStatusCode, body);
        return [.. JsonDocument.Parse(body).RootElement.EnumerateArray()];
    }

    /// <summary>A new topic with ten ticks a minute apart (minute i to partition i mod <paramref name="partitions"/>) and its value subject.</summary>
    private async Task<string> TimelineAsync(int partitions = 1) => await Timeline.WriteAsync(console.Infrastructure, partitions, Cancel);
}

/// <summary>Ten ticks a minute apart in a new topic, for the record and group operations.</summary>
internal static class Timeline
{
    public static async Task<string> WriteAsync(EmbeddedInfrastructure infrastructure, int partitions, CancellationToken cancellation)
    {
        var topic = $"timeline.{Guid.NewGuid():N}";
        infrastructure.Broker.CreateTopic(topic, partitions);
        var serializer = new ContractSerializer<PriceTick>(infrastructure.Registry);
        using var producer = infrastructure.RawProducer();
        for (var i = 0; i < 10; i++)
        {
            var coin = i % 2 == 0 ? "btc" : "eth";
            var tick = new PriceTick
            {
                CoinId = coin, Symbol = coin, EventTime = RecordOperationsTests.At(i), Price = 100 + i, VsCurrency = "usd", Source = DataSource.Simulator, RunId = "run-1",
            };
            await producer.ProduceAsync(new TopicPartition(topic, i % partitions), new Message<byte[]?, byte[]?>
            {
                Key = Encoding.UTF8.GetBytes(coin), Value = await serializer.SerializeAsync(tick, new SerializationContext(MessageComponentType.Value, topic)),
                Timestamp = new Timestamp(RecordOperationsTests.At(i)),
            }, cancellation);
        }

        return topic;
    }
}

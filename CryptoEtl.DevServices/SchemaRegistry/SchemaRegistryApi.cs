using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;

namespace CryptoEtl.DevServices.SchemaRegistry;

/// <summary>The Confluent Schema Registry REST API, as the Confluent clients, curl users and Python scripts call it.</summary>
public static partial class SchemaRegistryApi
{
    public const string ContentType = "application/vnd.schemaregistry.v1+json";
    public const long MaxBodyBytes = 1024 * 1024;

    /// <summary>Quotes stay quotes in messages, as Confluent writes them (schemas inside strings are hard enough to read).</summary>
    public static readonly JsonSerializerOptions JsonFormat = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void Map(WebApplication app, SchemaRegistryStore store)
    {
        app.Use(WriteErrorsInConfluentShape);
        app.UseStatusCodePages(context =>
        {
            var status = context.HttpContext.Response.StatusCode;
            var reason = ReasonPhrases.GetReasonPhrase(status);
            return WriteError(context.HttpContext, new RegistryError(status, status, $"HTTP {status} {reason}"));
        });

        app.MapGet("/", () => Json(new { }));
        app.MapGet("/schemas/types", () => Json(new[] { "AVRO" }));
        app.MapGet("/mode", () => Json(new { mode = "READWRITE" }));

        app.MapGet("/subjects", (HttpRequest r) => Json(store.ListSubjects(Flag(r, "deleted"))));

        app.MapPost("/subjects/{subject}/versions", async (string subject, HttpRequest r) =>
        {
            var registered = store.Register(subject, await ReadSchema(r));
            return Json(new { id = registered.Id, version = registered.Version });
        });

        app.MapPost("/subjects/{subject}", async (string subject, HttpRequest r) =>
            Json(Version(store.Lookup(subject, await ReadSchema(r), Flag(r, "deleted")))));

        app.MapGet("/subjects/{subject}/versions", (string subject, HttpRequest r) => Json(store.ListVersions(subject, Flag(r, "deleted"))));

        app.MapGet("/subjects/{subject}/versions/{version}", (string subject, string version, HttpRequest r) =>
            Json(Version(store.GetVersion(subject, version, Flag(r, "deleted")))));

        app.MapGet("/subjects/{subject}/versions/{version}/schema", (string subject, string version, HttpRequest r) =>
            Results.Text(store.GetVersion(subject, version, Flag(r, "deleted")).Schema, ContentType));

        app.MapDelete("/subjects/{subject}", (string subject, HttpRequest r) => Json(store.DeleteSubject(subject, Flag(r, "permanent"))));

        app.MapDelete("/subjects/{subject}/versions/{version}", (string subject, string version, HttpRequest r) =>
            Json(store.DeleteVersion(subject, version, Flag(r, "permanent"))));

        app.MapGet("/schemas/ids/{id:int}", (int id) => Json(new { schema = store.GetSchema(id) }));

        app.MapGet("/schemas/ids/{id:int}/schema", (int id) => Results.Text(store.GetSchema(id), ContentType));

        app.MapGet("/schemas/ids/{id:int}/versions", (int id, HttpRequest r) =>
            Json(store.GetSchemaVersions(id, Flag(r, "deleted")).Select(v => new { subject = v.Subject, version = v.Version })));

        app.MapGet("/schemas/ids/{id:int}/subjects", (int id, HttpRequest r) =>
            Json(store.GetSchemaVersions(id, Flag(r, "deleted")).Select(v => v.Subject).Distinct()));

        app.MapGet("/config", () => Json(new { compatibilityLevel = store.GetCompatibility(null, true).Name() }));
        app.MapGet("/config/{subject}", (string subject, HttpRequest r) =>
            Json(new { compatibilityLevel = store.GetCompatibility(subject, Flag(r, "defaultToGlobal")).Name() }));
        app.MapPut("/config", async (HttpRequest r) => Json(new { compatibility = SetLevel(store, null, await ReadLevel(r)) }));
        app.MapPut("/config/{subject}", async (string subject, HttpRequest r) => Json(new { compatibility = SetLevel(store, subject, await ReadLevel(r)) }));
        app.MapDelete("/config", () => Json(new { compatibilityLevel = store.DeleteCompatibility(null).Name() }));
        app.MapDelete("/config/{subject}", (string subject) => Json(new { compatibilityLevel = store.DeleteCompatibility(subject).Name() }));

        app.MapPost("/compatibility/subjects/{subject}/versions/{version}", async (string subject, string version, HttpRequest r) =>
            Compatibility(store.CompatibilityProblems(subject, version, await ReadSchema(r)), Flag(r, "verbose")));
        app.MapPost("/compatibility/subjects/{subject}/versions", async (string subject, HttpRequest r) =>
            Compatibility(store.CompatibilityProblems(subject, null, await ReadSchema(r)), Flag(r, "verbose")));

        // Newer Confluent clients ask for subject associations first and fall back on 404.
        app.MapFallback(() => Results.Json(new { error_code = 404, message = "HTTP 404 Not Found" }, JsonFormat, ContentType, 404));
    }

    private static object Version(RegisteredVersion v) => new { subject = v.Subject, version = v.Version, id = v.Id, schema = v.Schema };

    private static IResult Compatibility(IReadOnlyList<string> problems, bool verbose) =>
        verbose ? Json(new { is_compatible = problems.Count == 0, messages = problems }) : Json(new { is_compatible = problems.Count == 0 });

    private static string SetLevel(SchemaRegistryStore store, string? subject, CompatibilityLevel level)
    {
        store.SetCompatibility(subject, level);
        return level.Name();
    }

    private static IResult Json(object body) => Results.Json(body, JsonFormat, ContentType);

    /// <summary>Confluent's clients send booleans as "True"/"False"; Java parses them case-insensitively too.</summary>
    private static bool Flag(HttpRequest request, string name) =>
        string.Equals(request.Query[name].ToString(), "true", StringComparison.OrdinalIgnoreCase);

    private static async Task<string> ReadSchema(HttpRequest request)
    {
        using var body = await ReadJson(request);
        if (!body.RootElement.TryGetProperty("schema", out var schema) || schema.ValueKind == JsonValueKind.Null
            || (schema.ValueKind == JsonValueKind.String && schema.GetString()!.Length == 0))
        {
            throw RegistryError.InvalidSchema("Empty schema");
        }

        if (schema.ValueKind != JsonValueKind.String)
        {
            throw RegistryError.BadRequest($"Cannot deserialize 'schema' from a JSON {schema.ValueKind}: it must be a string holding the schema's JSON.");
        }

        if (body.RootElement.TryGetProperty("schemaType", out var type) && type.ValueKind == JsonValueKind.String
            && !string.Equals(type.GetString(), "AVRO", StringComparison.OrdinalIgnoreCase))
        {
            throw RegistryError.InvalidSchema($"Unsupported schema type '{type.GetString()}': this registry holds AVRO schemas only.");
        }

        if (body.RootElement.TryGetProperty("references", out var references) && references.ValueKind == JsonValueKind.Array && references.GetArrayLength() > 0)
        {
            throw RegistryError.InvalidSchema("Schema references are not supported by this registry.");
        }

        return schema.GetString()!;
    }

    private static async Task<CompatibilityLevel> ReadLevel(HttpRequest request)
    {
        using var body = await ReadJson(request);
        var text = body.RootElement.TryGetProperty("compatibility", out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        return CompatibilityLevels.TryParse(text, out var level) ? level : throw RegistryError.InvalidCompatibility();
    }

    /// <summary>Reads a JSON object body whatever the content type (curl, Python and the Confluent clients all differ).</summary>
    private static async Task<JsonDocument> ReadJson(HttpRequest request)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            throw RegistryError.TooLarge(MaxBodyBytes);
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                throw RegistryError.TooLarge(MaxBodyBytes);
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            throw new RegistryError(422, 422, "The request body must not be empty.");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(buffer.ToArray());
        }
        catch (JsonException e)
        {
            throw RegistryError.BadRequest($"Unrecognized token: the body is not JSON ({e.Message})");
        }

        var kind = document.RootElement.ValueKind;
        if (kind != JsonValueKind.Object)
        {
            document.Dispose();
            throw RegistryError.BadRequest($"The body must be a JSON object, not a JSON {kind}.");
        }

        return document;
    }

    private static async Task WriteErrorsInConfluentShape(HttpContext context, Func<Task> next)
    {
        try
        {
            await next();
        }
        catch (RegistryError error)
        {
            await WriteError(context, error);
        }
        catch (BadHttpRequestException e)
        {
            await WriteError(context, e.StatusCode == StatusCodes.Status413PayloadTooLarge ? RegistryError.TooLarge(MaxBodyBytes) : RegistryError.BadRequest(e.Message));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SchemaRegistryApi)).RequestFailed(e.Describe());
            await WriteError(context, RegistryError.StoreFailure("the request could not be completed"));
        }
    }

    private static Task WriteError(HttpContext context, RegistryError error)
    {
        context.Response.StatusCode = error.HttpStatus;
        context.Response.ContentType = ContentType;
        return context.Response.WriteAsync(JsonSerializer.Serialize(new { error_code = error.ErrorCode, message = error.Message }, JsonFormat));
    }

    [LoggerMessage(1, LogLevel.Error, "Schema registry request failed: {Error}")]
    private static partial void RequestFailed(this ILogger logger, string error);
}

using System.Text.Json;
using System.Text.Json.Nodes;
using Confluent.SchemaRegistry;

namespace CryptoEtl.ControlCenter.Schemas;

/// <summary>A subject's versions, its compatibility level, and one version's schema pretty-printed.</summary>
public sealed record SubjectView(string Subject, IReadOnlyList<int> Versions, string? Compatibility, int LatestVersion, int LatestId, string Latest);

public sealed record SchemaVersionView(string Subject, int Version, int Id, string Schema);

public sealed record SchemaDiffView(string Subject, int From, int To, IReadOnlyList<DiffLine> Lines);

public static class SchemaEndpoints
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// GET /api/schemas: every subject with its versions, compatibility level and latest schema.
    /// GET /api/schemas/{subject}/versions/{version}: one version; GET /api/schemas/{subject}/diff?from=1&amp;to=2: a line diff;
    /// GET /api/schemas/ids/{id}: a schema by id.
    /// </summary>
    public static void MapSchemas(this WebApplication app)
    {
        app.MapGet("/api/schemas", async (ISchemaRegistryClient registry) =>
        {
            var subjects = new List<SubjectView>();
            foreach (var subject in (await registry.GetAllSubjectsAsync()).Order(StringComparer.Ordinal))
            {
                var versions = await registry.GetSubjectVersionsAsync(subject);
                var latest = await registry.GetLatestSchemaAsync(subject);
                subjects.Add(new SubjectView(subject, versions, await CompatibilityAsync(registry, subject), latest.Version, latest.Id, Pretty(latest.SchemaString)));
            }

            return TypedResults.Ok(subjects);
        }).WithSummary("Every subject: versions, compatibility level and latest schema");

        app.MapGet("/api/schemas/{subject}/versions/{version:int}", async (string subject, int version, ISchemaRegistryClient registry) =>
        {
            var (schema, problem) = await VersionAsync(registry, subject, version);
            return problem ?? Results.Ok(new SchemaVersionView(subject, schema!.Version, schema.Id, Pretty(schema.SchemaString)));
        }).WithSummary("One version of a subject's schema, pretty-printed");

        app.MapGet("/api/schemas/ids/{id:int}", async (int id, ISchemaRegistryClient registry) =>
        {
            try
            {
                return Results.Ok(new { Id = id, Schema = JsonNode.Parse((await registry.GetSchemaAsync(id)).SchemaString) });
            }
            catch (SchemaRegistryException)
            {
                return Results.Problem($"The registry has no schema with id {id}.", statusCode: StatusCodes.Status404NotFound, title: "Unknown schema id");
            }
        }).WithSummary("A schema by its id (the id a record's Confluent wire format names), as JSON: the browser labels fields with its types");

        app.MapGet("/api/schemas/{subject}/diff", async (string subject, int from, int to, ISchemaRegistryClient registry) =>
        {
            var (older, olderProblem) = await VersionAsync(registry, subject, from);
            var (newer, newerProblem) = await VersionAsync(registry, subject, to);
            return olderProblem ?? newerProblem
                ?? Results.Ok(new SchemaDiffView(subject, from, to, SchemaDiff.Lines(Pretty(older!.SchemaString), Pretty(newer!.SchemaString))));
        }).WithSummary("What changed between two versions of a subject's schema, line by line (pretty-printed)");
    }

    /// <summary>A version of a subject, or a 404 that says whether the subject or the version is unknown.</summary>
    private static async Task<(RegisteredSchema? Schema, IResult? Problem)> VersionAsync(ISchemaRegistryClient registry, string subject, int version)
    {
        if (!(await registry.GetAllSubjectsAsync()).Contains(subject))
        {
            return (null, Results.Problem($"There is no subject \"{Echo.Cut(subject)}\".", statusCode: StatusCodes.Status404NotFound, title: "Unknown subject"));
        }

        var versions = await registry.GetSubjectVersionsAsync(subject);
        return versions.Contains(version)
            ? (await registry.GetRegisteredSchemaAsync(subject, version), null)
            : (null, Results.Problem($"{subject} has versions {string.Join(", ", versions)} (got {version}).", statusCode: StatusCodes.Status404NotFound, title: "Unknown version"));
    }

    /// <summary>The subject's own level, else the registry's default (a subject without its own has no config of its own).</summary>
    private static async Task<string?> CompatibilityAsync(ISchemaRegistryClient registry, string subject)
    {
        try
        {
            return (await registry.GetCompatibilityAsync(subject)).ToString();
        }
        catch (SchemaRegistryException)
        {
        }

        try
        {
            return $"{await registry.GetCompatibilityAsync()} (the registry's default)";
        }
        catch (SchemaRegistryException)
        {
            return null;
        }
    }

    private static string Pretty(string schema)
    {
        try
        {
            return JsonNode.Parse(schema)!.ToJsonString(Indented);
        }
        catch (JsonException)
        {
            return schema;
        }
    }
}

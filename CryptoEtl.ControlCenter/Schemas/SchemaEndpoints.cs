using System.Text.Json;
using System.Text.Json.Nodes;
using Confluent.SchemaRegistry;

namespace CryptoEtl.ControlCenter.Schemas;

/// <summary>A subject's versions, its compatibility level, and one version's schema pretty-printed.</summary>
public sealed record SubjectView(string Subject, IReadOnlyList<int> Versions, string? Compatibility, int LatestVersion, int LatestId, string Latest);

public sealed record SchemaVersionView(string Subject, int Version, int Id, string Schema);

public static class SchemaEndpoints
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// GET /api/schemas: every subject with its versions, compatibility level and latest schema.
    /// GET /api/schemas/{subject}/versions/{version}: one version (for a diff, fetch two).
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
            if (!(await registry.GetAllSubjectsAsync()).Contains(subject))
            {
                return Results.Problem($"There is no subject \"{(subject.Length <= 100 ? subject : subject[..100] + "…")}\".", statusCode: StatusCodes.Status404NotFound, title: "Unknown subject");
            }

            var versions = await registry.GetSubjectVersionsAsync(subject);
            if (!versions.Contains(version))
            {
                return Results.Problem($"{subject} has versions {string.Join(", ", versions)} (got {version}).", statusCode: StatusCodes.Status404NotFound, title: "Unknown version");
            }

            var schema = await registry.GetRegisteredSchemaAsync(subject, version);
            return Results.Ok(new SchemaVersionView(subject, schema.Version, schema.Id, Pretty(schema.SchemaString)));
        }).WithSummary("One version of a subject's schema, pretty-printed");
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
